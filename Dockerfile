# syntax=docker/dockerfile:1
#
# swarm's container image: `docker build -t swarm .`, then `docker run --rm swarm --help`.
# docs/docker.md shows headless runs, the web UI, mounted userfiles and reports, and compose.
#
# Two stages: the first builds swarm's wheel from this source tree (and the wheels of its
# dependencies); the second installs them into a clean slim Python, so no build tools, source
# tree or pip cache end up in the image.

ARG PYTHON_IMAGE=python:3.12-slim-trixie

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
# all .dockerignore lets through: the package and the two files its build reads
COPY pyproject.toml README.md ./
COPY swarm ./swarm
# pip's cache lives in a cache mount: kept between builds, never part of an image
RUN --mount=type=cache,target=/root/.cache/pip pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
# A fixed numeric user, so Kubernetes' runAsNonRoot can verify it without a passwd lookup and a
# host directory can be chowned to it (10001: clear of the host's own users and of Debian's).
RUN groupadd --gid 10001 swarm \
    && useradd --no-log-init --uid 10001 --gid 10001 --create-home --home-dir /home/swarm \
        --shell /usr/sbin/nologin swarm
# Mounting the build stage's wheels, instead of copying them in, keeps them out of every layer.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/swarm-*.whl

# PYTHONUNBUFFERED: progress lines reach `docker logs` as they are printed.
# PYTHONDONTWRITEBYTECODE: no __pycache__ owned by 10001 left in a mounted userfile directory.
# HOME: ~/.swarm.conf is found there even when `--user` names a user the image does not know.
# SWARM_WEB_HOST, SWARM_METRICS_HOST: swarm listens on 127.0.0.1 by default, which nothing
# outside the container can reach; `-p 8089:8089` needs every interface.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/swarm \
    SWARM_WEB_HOST=0.0.0.0 \
    SWARM_METRICS_HOST=0.0.0.0

USER 10001:10001
WORKDIR /home/swarm
# The web UI, and the port a master listens on for its workers (--metrics-port has no default).
EXPOSE 8089 5557

# Exec form: swarm is PID 1 and gets `docker stop`'s SIGTERM itself. The kernel gives PID 1 no
# default action for a signal, so this works because swarm handles SIGTERM (and SIGINT) itself
# from its first line: while the userfile loads (or `-f -` fetches it) it exits at once (143);
# once a test can start, it stops the users, merges the final statistics, writes the reports,
# then exits (tests/test_container.py runs it as a PID 1). swarm waits for the processes it
# forks (--processes) itself and runs nothing else, so it needs no init; `docker run --init`
# adds one for a userfile that starts processes of its own.
ENTRYPOINT ["swarm"]
CMD ["--help"]
