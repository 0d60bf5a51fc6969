# Multi-stage build: compile in the Rust image, run as a non-root user in a slim image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/gongfang

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /app gongfang
WORKDIR /app
COPY --from=build /src/target/release/gongfang /usr/local/bin/gongfang
COPY config ./config
USER gongfang
ENV GONGFANG_PROFILE=production
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["gongfang"]
CMD ["serve"]
