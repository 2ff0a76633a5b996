package io.github.dragganjvm.tensor;

/** Elementwise functions of one argument. */
public enum UnaryOp {
    NEG, ABS, SIGN, EXP, LOG, SQRT, RSQRT, SQUARE, RECIPROCAL,
    /** torch.nn.functional.softplus (beta 1, threshold 20): x where x > 20, else log(1 + exp(x)). */
    SOFTPLUS,
    /** torch.sigmoid: 1 / (1 + exp(-x)), the derivative of softplus. */
    SIGMOID;

    /** PyTorch's softplus threshold: above it softplus(x) is x (log1p(exp(x)) - x is below float rounding there). */
    public static final double SOFTPLUS_THRESHOLD = 20;

    /** The function on doubles (the reference definition). */
    public double apply(double x) {
        return switch (this) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1.0 / x;
            case SOFTPLUS -> x > SOFTPLUS_THRESHOLD ? x : Math.log1p(Math.exp(x));
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-x));
        };
    }
}
