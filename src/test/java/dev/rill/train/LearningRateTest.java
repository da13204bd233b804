package dev.rill.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LearningRateTest {

    @Test
    void warmsUpLinearlyThenDecaysAlongACosineToTheMinimum() {
        LearningRate lr = new LearningRate(1e-3, 1e-4, 10, 110);
        assertEquals(1e-3 * 1 / 11, lr.at(0), 1e-12);
        assertEquals(1e-3 * 10 / 11, lr.at(9), 1e-12);
        assertEquals(1e-3, lr.at(10), 1e-12);
        assertEquals(1e-4 + 0.5 * (1e-3 - 1e-4), lr.at(60), 1e-12);        // halfway: cos(π/2) = 0
        assertEquals(1e-4, lr.at(110), 1e-12);
        assertEquals(1e-4, lr.at(500), 1e-12);
    }
}
