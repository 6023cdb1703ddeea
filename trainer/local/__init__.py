"""The trainer's local model: the CPU encoder + heads that the `local` backend serves.

- `targets`: one row per text, every task family's labels (missing ones masked).
- `fit`: losses, scores and the head-only fit on fixed features.
- `calibrate`: E-c thresholds and ordinal cut-points, chosen on the holdout.
- `encoder`: the torch model and its end-to-end fine-tuning; `distill`: the teacher's soft targets.
- `export`: the int8 ONNX graph; `recipe`: the shipped model's recipe, and the cycle's trainer.
- `heads`: heads over the frozen encoder (the 1.0.0 foundation model); `teacher`: labelling
  unlabeled texts with a stronger backend.

Head names and the graph's output order are the serving side's (`workers.local_model.config.HEAD_NAMES`).
Torch and transformers are imported inside the functions that need them.
"""
