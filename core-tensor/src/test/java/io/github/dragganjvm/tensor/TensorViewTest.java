package io.github.dragganjvm.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TensorViewTest {
    private static Tensor arange(int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        for (int i = 0; i < t.numel(); i++) t.host().set(i, i);
        return t;
    }

    @Test void viewsShareStorageAndCopiesDoNot() {
        Tensor t = arange(2, 3, 4);
        Tensor v = t.permuteView(2, 0, 1);
        assertArrayEquals(new int[]{4, 2, 3}, v.shape());
        assertEquals(t.get(1, 2, 3), v.get(3, 1, 2));
        v.set(-5, 3, 1, 2);
        assertEquals(-5, t.get(1, 2, 3), "a view writes through to its base");
        Tensor c = v.copy();
        assertTrue(c.isContiguous());
        c.set(7, 0, 0, 0);
        assertEquals(0, t.get(0, 0, 0), "a copy is independent");
        assertEquals(-5, c.get(3, 1, 2));
    }

    @Test void sliceSelectExpandAndReshape() {
        Tensor t = arange(3, 5);
        Tensor s = t.sliceView(1, 1, 4);
        assertArrayEquals(new int[]{3, 3}, s.shape());
        assertFalse(s.isContiguous());
        assertEquals(t.get(2, 3), s.get(2, 2));
        assertThrows(IllegalArgumentException.class, () -> s.reshapeView(9), "non-contiguous reshapeView must fail");
        assertEquals(9, s.copy().reshapeView(-1).numel());
        Tensor row = t.selectView(0, 1);
        assertArrayEquals(new int[]{5}, row.shape());
        assertEquals(7, row.get(2));
        Tensor e = t.sliceView(0, 0, 1).expandView(4, 3, 5);
        assertEquals(t.get(0, 4), e.get(3, 2, 4));
        assertEquals(0, e.stride(0));
    }

    @Test void badViewsNameTheProblem() {
        Tensor t = arange(2, 3);
        var ex = assertThrows(IllegalArgumentException.class, () -> t.reshapeView(4, 2));
        assertTrue(ex.getMessage().contains("[2, 3]"), ex.getMessage());
        var ex2 = assertThrows(IllegalArgumentException.class, () -> t.expandView(2, 4));
        assertTrue(ex2.getMessage().contains("expandView"), ex2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.sliceView(1, 2, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
    }

    @Test void unsqueezeAndSqueezeRoundTrip() {
        Tensor t = arange(2, 3);
        Tensor u = t.unsqueezeView(1);
        assertArrayEquals(new int[]{2, 1, 3}, u.shape());
        assertEquals(t.get(1, 2), u.get(1, 0, 2));
        assertArrayEquals(t.shape(), u.squeezeView(1).shape());
        Tensor last = t.unsqueezeView(-1);
        assertArrayEquals(new int[]{2, 3, 1}, last.shape());
        assertEquals(t.get(1, 1), last.get(1, 1, 0));
    }
}
