# Images for docker-compose.yml: `server` (FastAPI teacher service; no torch, no Box2D) and
# `student` (SB3 worker with CPU PyTorch and the Box2D environments).
#   docker build --target server -t curriculum-teacher/server .
#   docker build --target server --build-arg EXTRAS=neural -t curriculum-teacher/server .
#       (the server with CPU PyTorch for the neural teachers: goal-gan, setter-solver)
#   docker build --target student -t curriculum-teacher/student .
ARG BASE=python:3.11-slim

FROM ${BASE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv && pip install --no-cache-dir --upgrade pip
WORKDIR /app
COPY pyproject.toml README.md ./
COPY teacher teacher
COPY envs envs
COPY server server
COPY students students
COPY curriculum curriculum

FROM base AS server
# EXTRAS: more extras for the server, comma-separated; `neural` adds CPU PyTorch (from
# TORCH_INDEX, installed first, as for the student) for the neural teachers.
ARG EXTRAS=
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN case ",${EXTRAS}," in *,neural,*) \
        pip install --no-cache-dir torch==2.13.0 --index-url ${TORCH_INDEX} ;; esac \
    && pip install --no-cache-dir ".[server,postgres${EXTRAS:+,${EXTRAS}}]"
EXPOSE 8000
ENV CURRICULUM_HOST=0.0.0.0 CURRICULUM_PORT=8000
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["curriculum", "serve"]

FROM base AS student
# CPU PyTorch first: from PyPI, an unpinned torch on Linux is a multi-GB CUDA build.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir torch==2.13.0 --index-url ${TORCH_INDEX} \
    && pip install --no-cache-dir '.[students]'
ENTRYPOINT ["curriculum", "student"]
