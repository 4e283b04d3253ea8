#!/bin/sh
# Issues the development certificates docker-compose uses, once, into $1 (default /certs):
#   ca.pem                  the stack's private CA (workers trust it: OrchestratorWorker:ServerCaCertificateFile)
#   api.pem, api.key        the silos' gRPC/HTTPS certificate (names silo-1..3, localhost, 127.0.0.1)
#   cluster.pem, cluster.key  the silos' Orleans certificate (mutual TLS between silos and cluster clients)
# Keys are EC P-256. An existing set is kept (restarts do not rotate keys under running workers); delete
# the volume to issue a new one. For production, issue these from your own PKI (README: Security).
set -eu
out="${1:-/certs}"
days="${CERT_DAYS:-825}"
owner="${CERT_OWNER:-1654}"   # the silo image's non-root user
mkdir -p "$out"
cd "$out"
if [ -s ca.pem ] && [ -s api.pem ] && [ -s cluster.pem ]; then
  echo "certificates already in $out"
  exit 0
fi

umask 077
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=Orchestrator development CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

issue() { # name, subject CN, subjectAltName, extendedKeyUsage
  openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' "$4" "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days "$days" -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}
names="DNS:silo-1,DNS:silo-2,DNS:silo-3,DNS:localhost,IP:127.0.0.1"
issue api "orchestrator-api" "$names" "serverAuth"
issue cluster "orchestrator-cluster" "$names" "serverAuth,clientAuth"

# The CA key signs nothing after this: it is not left next to the certificates the silos mount.
rm -f ca.key ca.srl
chmod 0644 ca.pem api.pem cluster.pem
chmod 0600 api.key cluster.key
chown "$owner" api.key cluster.key 2>/dev/null || true
echo "issued ca.pem, api.pem/.key and cluster.pem/.key in $out"
