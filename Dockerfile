# batch-service image (issue 15): built on the full Node image, run on the slim one.
#
#   docker build -t batch-service:0.1.0 \
#     --build-arg GIT_COMMIT="$(git rev-parse HEAD)" --build-arg SOURCE_URL=<repository URL> .
#
# Both stages are Node 24.22.3 (the LTS line) on Debian bookworm: better-sqlite3's native
# binary is built (or fetched) in the first against bookworm's glibc and Node 24's ABI,
# and loads in the second only because those two match. Tags, not digests: no registry is reachable where
# this recipe was written; pin the digests where the image is built (see README).
# test/deploy/dockerfile.test.ts checks this file's properties with a Dockerfile parser.

FROM node:24.22.3-bookworm AS build
WORKDIR /app
# The full image carries python3, make and g++: better-sqlite3 compiles when no prebuilt
# binary matches. Manifests first, so the dependency layer survives source edits.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY admin/ admin/
COPY src/ src/
# npm run build: tsc into dist/, dist/build-info.json (commit null here: .git stays out of
# the context, GIT_COMMIT below says it instead), the admin console into dist/admin.
# Then the dev dependencies go, keeping the native binary just built.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24.22.3-bookworm-slim AS runtime
# Not pinned to a Debian revision: bookworm only receives security fixes, and a binNMU
# suffix (0.19.0-1+b3 on amd64) need not exist on other architectures.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid, so bind-mounted directories can be prepared on the host
# (chown 10001:10001) and Kubernetes' runAsNonRoot can verify the numeric USER below.
RUN groupadd --gid 10001 batch \
 && useradd --uid 10001 --gid batch --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin batch \
 && mkdir -p /var/lib/batch-service/data /var/lib/batch-service/uploads /var/lib/batch-service/reports \
      /var/lib/batch-service/archives /var/log/batch-service \
 && chown batch:batch /var/lib/batch-service/data /var/lib/batch-service/uploads /var/lib/batch-service/reports \
      /var/lib/batch-service/archives /var/log/batch-service

WORKDIR /app
# What the built service reads at run time: dist/ (the admin console in dist/admin
# included), the production node_modules (DejaVu fonts of the PDF reports among them),
# package.json (name and version for /actuator/info; the project root for projectFile)
# and assets/logo.svg (the default REPORT_LOGO). Owned by root: the service cannot
# rewrite its own code.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY assets/ assets/

ARG GIT_COMMIT=
ARG SOURCE_URL=
LABEL org.opencontainers.image.title="batch-service" \
      org.opencontainers.image.description="Batch back office of the doctoral school platform: five batch jobs, a job repository, an admin API." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${GIT_COMMIT}"

# Every default path would sit under /app/data, inside the image: each directory gets
# its own volume instead. An empty GIT_COMMIT counts as unset (src/config.ts). The
# image's system zone is UTC: the school's zone is set, not inherited (a deployment may
# override it; NODE_ENV=production refuses to start without one).
ENV NODE_ENV=production \
    BATCH_TIMEZONE=Europe/Paris \
    DATA_DIR=/var/lib/batch-service/data \
    UPLOADS_DIR=/var/lib/batch-service/uploads \
    REPORTS_DIR=/var/lib/batch-service/reports \
    ARCHIVES_DIR=/var/lib/batch-service/archives \
    LOG_DIR=/var/log/batch-service \
    GIT_COMMIT=${GIT_COMMIT}
VOLUME ["/var/lib/batch-service/data", "/var/lib/batch-service/uploads", "/var/lib/batch-service/reports", "/var/lib/batch-service/archives", "/var/log/batch-service"]
EXPOSE 8085

USER 10001:10001

# Slim has neither curl nor wget: node asks. The first start of the embedded default
# migrates and writes demo data before it listens, hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8085)+'/actuator/health/liveness',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# tini is PID 1: it hands SIGTERM to node (whose graceful shutdown stops the runs at a
# chunk boundary, up to SHUTDOWN_TIMEOUT_MS) and reaps zombies. node itself, not npm
# start: npm does not forward SIGTERM (issue 16).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/cli.js", "serve"]
