"""The seed two-layer network at any size, shared by the code-generation tests."""
import graphgrad as gg


def two_layer_net(n=64, d_in=1000, h=100, d_out=10):
    """The seed network traced at (n, d_in) -> h -> d_out; its local names become code names."""
    @gg.function
    def two_layer_net(x: gg.f64[n, d_in], y: gg.f64[n, d_out], w1: gg.f64[d_in, h],
                      w2: gg.f64[h, d_out]):
        h = x @ w1
        h_relu = gg.maximum(h, 0)
        y_pred = h_relu @ w2
        return gg.sum(gg.square(y_pred - y))

    return two_layer_net
