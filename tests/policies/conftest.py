import pytest
import torch


@pytest.fixture
def one_torch_thread():
    """Run the test with one torch thread: the reference fixtures were recorded with OMP_NUM_THREADS=1
    (conv sums move by ~1e-7 with more threads), and small tensors avoid oversubscription that way."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
