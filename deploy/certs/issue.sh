#!/bin/sh
# Issues the development certificates docker-compose uses, once, into $1 (default /certs), and copies the
# API CA's certificate alone into $2 when given (the workers' volume: they must never see a key):
#   ca.pem                  the API's private CA (workers and the CLI trust it: OrchestratorWorker:ServerCaCertificateFile, --ca)
#   api.pem, api.key        the silos' gRPC/HTTPS certificate (names silo-1..3, localhost, 127.0.0.1)
#   cluster-ca.pem          the cluster CA: whatever it signs may join the cluster, so it signs only cluster members
#   cluster.pem, cluster.key  the silos' Orleans certificate (mutual TLS between silos and cluster clients)
# Keys are EC P-256. An existing set is kept (restarts do not rotate keys under running workers); delete
# the volume to issue a new one. For production, issue these from your own PKI (README: Security).
set -eu
out="${1:-/certs}"
public="${2:-}"
days="${CERT_DAYS:-825}"
owner="${CERT_OWNER:-1654}"   # the silo image's non-root user
mkdir -p "$out"
cd "$out"
publish() { # the public CA certificate, alone, for the workers
  if [ -n "$public" ]; then
    mkdir -p "$public"
    cp "$out/ca.pem" "$public/ca.pem"
    chmod 0644 "$public/ca.pem"
  fi
}
if [ -s ca.pem ] && [ -s api.pem ] && [ -s cluster-ca.pem ] && [ -s cluster.pem ]; then
  publish
  echo "certificates already in $out"
  exit 0
fi

umask 077
authority() { # name, subject CN
  openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
}
issue() { # name, authority, subject CN, subjectAltName, extendedKeyUsage
  openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' "$5" "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -sha256 -days "$days" -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}
names="DNS:silo-1,DNS:silo-2,DNS:silo-3,DNS:localhost,IP:127.0.0.1"
authority ca "Orchestrator development API CA"
authority cluster-ca "Orchestrator development cluster CA"
issue api ca "orchestrator-api" "$names" "serverAuth"
issue cluster cluster-ca "orchestrator-cluster" "$names" "serverAuth,clientAuth"

# The CA keys sign nothing after this: they are not left next to the certificates the silos mount.
rm -f ca.key ca.srl cluster-ca.key cluster-ca.srl
chmod 0644 ca.pem api.pem cluster-ca.pem cluster.pem
chmod 0600 api.key cluster.key
chown "$owner" api.key cluster.key 2>/dev/null || true
publish
echo "issued ca.pem, api.pem/.key, cluster-ca.pem and cluster.pem/.key in $out"
