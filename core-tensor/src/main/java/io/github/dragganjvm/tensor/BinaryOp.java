package io.github.dragganjvm.tensor;

/** Elementwise functions of two broadcast arguments. GT yields 1 where a > b, else 0. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, GT;

    /** The function on doubles (the reference definition). */
    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case GT -> a > b ? 1 : 0;
        };
    }
}
