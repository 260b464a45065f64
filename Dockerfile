# Container image for the function module's package_type = "image" and for the worker
# module's fleet: one image, one binary. Same build as scripts/package-zip.sh:
# cargo-lambda, --release --arm64, binary `sluice` installed as the custom runtime's
# bootstrap.
#
#   docker build --platform linux/arm64 -t sluice:latest .
#   (push to ECR, then set image_uri in the function and worker modules)
#
# Under Lambda the base image's entrypoint runs bootstrap, which serves invocations.
# Elsewhere the same file takes a command in place of that entrypoint, e.g. the worker
# (as the worker module's task definition does):
#
#   docker run --entrypoint /var/runtime/bootstrap sluice:latest worker --queue URL

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-pip \
 && rm -rf /var/lib/apt/lists/* \
 && pip3 install --no-cache-dir --break-system-packages cargo-lambda==1.9.2
WORKDIR /src
COPY . .
RUN cargo lambda build --release --arm64 --bin sluice \
 && cp target/lambda/sluice/bootstrap /bootstrap

FROM public.ecr.aws/lambda/provided:al2023-arm64
COPY --from=build /bootstrap ${LAMBDA_RUNTIME_DIR}/bootstrap
# provided.al2023 images run ${LAMBDA_RUNTIME_DIR}/bootstrap; the handler name is unused.
CMD ["bootstrap"]
