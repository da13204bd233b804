package dev.rill.server.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.train.LossPlot;
import dev.rill.train.TrainConfig;
import dev.rill.train.TrainingEvent;
import dev.rill.train.TrainingJobs;

import java.util.List;
import java.util.Locale;

/** Jobs and their events as the JSON of {@code /api/train}, its SSE stream and {@code /ws/train}. */
final class TrainJson {

    static final ObjectMapper JSON = new ObjectMapper();

    private TrainJson() {
    }

    /** An event: {@code {"type": "progress"|"eval"|"sample"|"checkpoint"|"state", "job": ID, ...}}. */
    static ObjectNode event(TrainingEvent e, TrainingJobs jobs) {
        ObjectNode n = JSON.createObjectNode();
        switch (e) {
            case TrainingEvent.State s -> {
                n.put("type", "state").put("job", s.job()).put("state", name(s.state()));
                if (s.error() != null) {
                    n.put("error", jobs.get(s.job()).map(j -> withoutPaths(s.error(), j.config())).orElse(s.error()));
                }
            }
            case TrainingEvent.Progress p -> {
                n.put("type", "progress").put("job", p.job()).put("step", p.step()).put("steps", p.steps());
                number(n, "train_loss", p.loss());
                number(n, "learning_rate", p.learningRate());
                number(n, "tokens_per_second", p.tokensPerSecond());
                number(n, "elapsed_seconds", p.elapsed());
                number(n, "eta_seconds", p.eta());
            }
            case TrainingEvent.Evaluation v -> {
                n.put("type", "eval").put("job", v.job()).put("step", v.step());
                number(n, "train_loss", v.trainLoss());
                number(n, "val_loss", v.valLoss());
            }
            case TrainingEvent.Sample s -> n.put("type", "sample").put("job", s.job()).put("step", s.step()).put("text", s.text());
            case TrainingEvent.Checkpoint c -> {
                n.put("type", "checkpoint").put("job", c.job()).put("step", c.step());
                if (c.model() != null) n.put("model", c.model());
            }
        }
        return n;
    }

    /** A job: with {@code full}, its loss curves and samples too. */
    static ObjectNode job(TrainingJobs.Job job, boolean full) {
        TrainingJobs.Snapshot s = job.snapshot();
        ObjectNode n = JSON.createObjectNode();
        n.put("id", s.id()).put("name", s.name()).put("state", name(s.state()));
        n.put("created", s.created().toString());
        if (s.started() != null) n.put("started", s.started().toString());
        if (s.finished() != null) n.put("finished", s.finished().toString());
        if (s.error() != null) n.put("error", withoutPaths(s.error(), job.config()));
        if (s.model() != null) n.put("model", s.model());
        if (s.parameters() > 0) n.put("parameters", s.parameters());
        n.put("steps", job.config().steps());
        n.put("step", s.progress() == null ? 0 : s.progress().step());
        if (s.checkpointStep() > 0) n.put("checkpoint_step", s.checkpointStep());
        if (s.progress() != null) {
            number(n, "train_loss", s.progress().loss());
            number(n, "tokens_per_second", s.progress().tokensPerSecond());
            number(n, "elapsed_seconds", s.progress().elapsed());
            if (!s.state().finished()) number(n, "eta_seconds", s.progress().eta());
        }
        if (!s.val().isEmpty()) number(n, "val_loss", s.val().getLast().loss());
        n.set("config", config(job.config()));
        if (full) {
            n.set("train_curve", points(s.train()));
            n.set("val_curve", points(s.val()));
            ArrayNode samples = n.putArray("samples");
            for (TrainingEvent.Sample e : s.samples()) samples.addObject().put("step", e.step()).put("text", e.text());
        }
        return n;
    }

    private static ObjectNode config(TrainConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("data", c.data().getFileName().toString()).put("sft", c.sft());
        if (c.base() != null) n.put("base", c.base().getFileName().toString());
        n.put("tokenizer", c.tokenizer()).set("tokenizer_params", JSON.valueToTree(c.tokenizerParams()));
        n.put("positional", c.positional()).set("positional_params", JSON.valueToTree(c.positionalParams()));
        n.put("n_layer", c.nLayer()).put("n_head", c.nHead()).put("n_emb", c.nEmb()).put("context", c.T())
                .put("batch", c.nBatch()).put("steps", c.steps()).put("learning_rate", c.learningRate())
                .put("eval_interval", c.evalInterval()).put("checkpoint_interval", c.checkpointInterval()).put("seed", c.seed());
        return n;
    }

    private static ArrayNode points(List<LossPlot.Point> points) {
        ArrayNode a = JSON.createArrayNode();
        for (LossPlot.Point p : points) {
            ArrayNode pair = a.addArray().add(p.step());
            if (Double.isFinite(p.loss())) pair.add(p.loss());
            else pair.addNull();
        }
        return a;
    }

    /** An engine message with the server's folders left out: clients know the data and model by name. */
    static String withoutPaths(String message, TrainConfig c) {
        String m = message.replace(c.data().toString(), c.data().getFileName().toString()).replace(c.out().toString(), c.out().getFileName().toString());
        return c.base() == null ? m : m.replace(c.base().toString(), c.base().getFileName().toString());
    }

    /** NaN and infinities are not JSON: they become null. */
    private static void number(ObjectNode n, String field, double v) {
        if (Double.isFinite(v)) n.put(field, v);
        else n.putNull(field);
    }

    static String name(TrainingJobs.State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }
}
