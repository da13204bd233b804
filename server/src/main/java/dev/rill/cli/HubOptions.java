package dev.rill.cli;

import dev.rill.hub.Hub;
import dev.rill.hub.ModelCache;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;

/** The options {@code pull} and {@code models} share: where the cache is and which Hub to ask (both default to the environment). */
final class HubOptions {

    @Option(names = "--cache", paramLabel = "DIR", description = "Model cache folder (default: $RILL_MODELS, else $XDG_CACHE_HOME/rill/models, else ~/.cache/rill/models).")
    Path cache;

    @Option(names = "--endpoint", paramLabel = "URL", description = "Hugging Face Hub base URL (default: $HF_ENDPOINT, else https://huggingface.co).")
    URI endpoint;

    Hub.Settings settings() {
        Hub.Settings env = Hub.Settings.fromEnvironment(System.getenv(), System.getProperty("user.home"));
        if (endpoint != null && (endpoint.getScheme() == null || endpoint.getHost() == null)) {
            throw new IllegalArgumentException("--endpoint " + endpoint + " is not an http(s) URL");
        }
        return new Hub.Settings(endpoint != null ? URI.create(endpoint.toString().replaceAll("/+$", "")) : env.endpoint(), env.token(),
                cache != null ? new ModelCache(cache) : env.cache(), env.offline());
    }
}
