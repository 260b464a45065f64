# Container image for the function module's package_type = "image".
# Same build as scripts/package-zip.sh: cargo-lambda, --release --arm64, binary
# `sluice` installed as the custom runtime's bootstrap.
#
#   docker build --platform linux/arm64 -t sluice:latest .
#   (push to ECR, then set image_uri in the function module)

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
