package dev.rill.tokenizer;

import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads tiktoken rank files (cl100k_base, o200k_base, r50k_base, p50k_base, p50k_edit) with their
 * encoding's split pattern and special tokens. Saved as a plain {@code .tiktoken} rank file; the
 * encoding's name is kept in the parameters.
 */
public final class TiktokenTokenizer implements Tokenizer {

    @Override
    public String name() {
        return "tiktoken";
    }

    @Override
    public String description() {
        return "tiktoken rank files (cl100k_base, o200k_base, r50k_base, p50k_base, p50k_edit)";
    }

    @Override
    public List<ParamSpec> parameters() {
        List<String> choices = new ArrayList<>();
        choices.add("auto");
        choices.addAll(TiktokenRanks.KNOWN.keySet());
        return List.of(ParamSpec.choice("encoding", "auto", choices,
                "which encoding the rank file is; auto tells by the file's pattern, name or number of ranks"));
    }

    @Override
    public String fileName() {
        return "tokenizer.tiktoken";
    }

    @Override
    public Vocabulary load(Path file, Params params) throws IOException {
        if (params == null) params = params(null);
        TiktokenRanks.RankFile ranks = TiktokenRanks.read(file);
        TiktokenRanks.Encoding encoding = TiktokenRanks.resolve(params.getString("encoding"), file, ranks);
        return TiktokenRanks.vocabulary(ranks.ranks(), encoding, params(Map.of("encoding", encoding.name())));
    }
}
