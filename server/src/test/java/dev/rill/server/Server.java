package dev.rill.server;

import io.restassured.RestAssured;
import io.restassured.response.Response;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/** Helpers for tests against the running application. */
public final class Server {

    private Server() {
    }

    /** Waits until /q/health/ready says UP (the model loads in the background). */
    public static void awaitReady() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < end) {
            if (RestAssured.get("/q/health/ready").statusCode() == 200) return;
            Thread.sleep(50);
        }
        fail("the server did not become ready: " + RestAssured.get("/q/health/ready").asString());
    }

    /** The value of a Prometheus sample, e.g. {@code rill_generations_active{model="tiny"}}; 0 when absent. */
    public static double metric(String name, String labels) {
        Response r = RestAssured.get("/q/metrics");
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{([^}]*)\\})? ([0-9.eE+-]+|NaN)$").matcher(r.asString());
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            if (labels == null || (m.group(1) == null ? "" : m.group(1)).contains(labels)) {
                sum += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        return found ? sum : 0;
    }

    /** Waits until no generation runs or waits (tests leave the server as they found it). */
    public static void awaitIdle() throws InterruptedException {
        awaitMetric("rill_generations_active", "model=\"tiny\"", 0);
        awaitMetric("rill_generations_queued", "model=\"tiny\"", 0);
    }

    /** Polls a metric until it equals {@code value}; fails after 30 s (a bound for a loaded machine, not a speed). */
    public static void awaitMetric(String name, String labels, double value) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double v = Double.NaN;
        while (System.nanoTime() < end) {
            v = metric(name, labels);
            if (v == value) return;
            Thread.sleep(20);
        }
        fail(name + "{" + labels + "} stayed at " + v + ", expected " + value);
    }
}
