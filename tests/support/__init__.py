"""What tests (and the benchmarks) share: starting the service, and making images and MNIST files."""
