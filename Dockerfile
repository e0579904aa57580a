# The secgate image (ghcr.io/secgate/secgate): the static release binary and
# nothing else, run as a user that is not root. No shell, no package manager,
# no CA bundle file: secgate carries Mozilla's root certificates
# (golang.org/x/crypto/x509roots/fallback) for the OSV API and registries.
# Built by GoReleaser (dockers_v2 in .goreleaser.yaml), which puts each
# platform's binary in the build context at $TARGETPLATFORM/secgate;
# TestReleaseImage builds the same layout with go-containerregistry and scans it.
#
#   docker run --rm -v "$PWD:/work" ghcr.io/secgate/secgate:1.2.3 scan .
FROM scratch
ARG TARGETPLATFORM
COPY deploy/image/passwd deploy/image/group /etc/
COPY $TARGETPLATFORM/secgate /usr/local/bin/secgate
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/secgate"]
