#!/usr/bin/env python3
"""A worker written from docs/worker-protocol.md and the .proto files alone, in Python.

It starts `orchestrator serve` (the built CLI) on free loopback ports, authorizes itself and submits a
small deal through the admin API, then plays the worker's side of orchestrator.worker.v1 over real
gRPC: Hello, Proof, Heartbeat, Contribution, Reveal and UploadResult, with the signatures and the
canonical archive of worker_protocol_check.py. It passes when every task completes with its result,
and the archive the pool stores is byte for byte the one the worker built.

Needs Debian's python3-grpcio and python3-grpc-tools (scripts/test.sh installs them) and a built CLI:
    python3 tests/outsider/grpc_worker.py [--configuration Release]
"""
import hashlib
import json
import os
import queue
import socket
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc
from grpc_tools import protoc

sys.path.insert(0, os.path.dirname(__file__))
import worker_protocol_check as spec  # noqa: E402  (the signatures and the archive, from the document)

ROOT = spec.ROOT
PROTOS = os.path.join(ROOT, "src", "Orchestrator.Api.Contracts", "Protos")
TOKEN = "outsider-owner-token"
TASKS = 3


def generate_stubs(out):
    os.makedirs(out, exist_ok=True)
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    files = ["orchestrator/worker/v1/worker.proto", "orchestrator/admin/v1/admin.proto", "google/api/annotations.proto", "google/api/http.proto"]
    args = ["protoc", "-I" + PROTOS, "-I" + include, "--python_out=" + out, "--grpc_python_out=" + out] + files
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    sys.path.insert(0, out)  # namespace packages: "google" merges with the installed google.protobuf


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(work, configuration):
    url = "127.0.0.1:%d" % free_port()
    config = os.path.join(work, "silo.json")
    with open(config, "w") as f:
        json.dump({"Orchestrator": {
            "ClusterId": "outsider-%d" % os.getpid(), "SiloPort": free_port(), "GatewayPort": free_port(),
            "Api": {"Enabled": True, "Url": "http://" + url, "HttpUrl": "http://127.0.0.1:%d" % free_port(),
                    "AdminTokenSha256": hashlib.sha256(TOKEN.encode()).hexdigest(), "ResultDirectory": os.path.join(work, "results"),
                    "HeartbeatInterval": "00:00:01", "IdlePollInterval": "00:00:00.500"}}}, f)
    cli = os.path.join(ROOT, "src", "Orchestrator.Cli", "bin", configuration, "net10.0", "orchestrator.dll")
    if not os.path.exists(cli):
        raise SystemExit("build the CLI first: %s is missing" % cli)
    log = open(os.path.join(work, "server.log"), "w")
    return subprocess.Popen(["dotnet", cli, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT), url


def wait_for(what, condition, timeout=120, server=None):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        if server is not None and server.poll() is not None:
            raise SystemExit("the server exited (code %s) while waiting for %s; run with --keep-log" % (server.returncode, what))
        try:
            if condition():
                return
        except grpc.RpcError as e:  # the server is starting
            last = e.code()
        time.sleep(0.25)
    raise SystemExit("timed out waiting for %s (last: %s)" % (what, last))


class Worker:
    """The worker's side of one session, from the protocol document."""

    def __init__(self, channel, key, w, wg):
        self.w, self.key = w, key
        self.address = spec.address_of(key)
        self.session = wg.WorkerSessionStub(channel)
        self.outbox = queue.Queue()
        self.next_id = 1
        self.archives = {}

    def send(self, **body):
        self.outbox.put(self.w.WorkerMessage(**body))

    def call(self, stream, **body):
        request_id, self.next_id = self.next_id, self.next_id + 1
        self.outbox.put(self.w.WorkerMessage(request_id=request_id, **body))
        while True:
            message = next(stream)
            kind = message.WhichOneof("body")
            if kind == "call_result" and message.call_result.request_id == request_id:
                return message.call_result
            self.pending.append(message)

    def requests(self):
        while True:
            item = self.outbox.get()
            if item is None:
                return
            yield item

    def run(self, tasks):
        self.pending = []
        stream = self.session.Connect(self.requests())
        hex_address = spec.hx(self.address)
        self.send(hello=self.w.Hello(worker_address=hex_address, agent_version="outsider-python/1",
                                     capabilities=self.w.Capabilities(tee=self.w.TEE_KIND_NONE, cores=1, memory_mb=512, slots=1)))
        challenge = next(stream).challenge
        # The session message binds the pool (address, chain id) and the TLS channel (zeros: this
        # worker speaks plaintext to a loopback server), then the challenge: 147 bytes.
        bound = spec.session_message(spec.unhex(challenge.pool_address), challenge.chain_id, bytes(32), challenge.nonce)
        self.send(proof=self.w.Proof(signature=spec.sign_digest(spec.eip191(bound), self.key)))
        welcome = next(stream).welcome
        beating = threading.Event()

        def heartbeat():
            while not beating.wait(welcome.heartbeat_interval.seconds or 1):
                self.send(heartbeat=self.w.Heartbeat(free_slots=1))
        threading.Thread(target=heartbeat, daemon=True).start()
        self.send(heartbeat=self.w.Heartbeat(free_slots=1))

        done = 0
        while done < tasks:
            message = self.pending.pop(0) if self.pending else next(stream)
            if message.WhichOneof("body") != "assignment":
                continue
            a = message.assignment
            done += self.run_replicate(stream, a)
            self.send(heartbeat=self.w.Heartbeat(free_slots=1))
        beating.set()
        self.outbox.put(None)

    def run_replicate(self, stream, a):
        # "Run the app": this worker's app writes its params, reversed, into result.txt.
        content = a.params[::-1].encode() + b"\n"
        archive = spec.canonical_tar([(b"result.txt", content, False)])
        digest = hashlib.sha256(archive).digest()
        task = spec.unhex(a.task_id)
        result_hash = spec.keccak256(task + digest)
        result_seal = spec.keccak256(self.address + task + digest)
        signature = spec.sign_digest(spec.eip191(spec.contribution_message(task, result_hash, result_seal)), self.key)
        result = self.call(stream, contribution=self.w.Contribution(task_id=a.task_id, result_hash=spec.hx(result_hash), result_seal=spec.hx(result_seal), worker_signature=signature))
        if not result.accepted:
            raise SystemExit("contribution refused: %s %s" % (result.refusal, result.message))
        if not result.reveal_now:
            while True:  # wait for the RevealRequest
                message = self.pending.pop(0) if self.pending else next(stream)
                if message.WhichOneof("body") == "reveal_request" and message.reveal_request.task_id == a.task_id:
                    break
                self.pending.append(message)
        result = self.call(stream, reveal=self.w.Reveal(task_id=a.task_id, result_digest=spec.hx(digest)))
        if not result.accepted:
            raise SystemExit("reveal refused: %s %s" % (result.refusal, result.message))
        self.upload(a.task_id, task, archive)
        return 1

    def upload(self, task_id, task, archive):
        sha = hashlib.sha256(archive).digest()
        header = self.w.UploadHeader(task_id=task_id, worker_address=spec.hx(self.address), size=len(archive), sha256=spec.hx(sha),
                                     signature=spec.sign_digest(spec.eip191(spec.upload_message(task, sha)), self.key),
                                     content_type="application/x-tar")
        reply = self.session.UploadResult(iter([self.w.ResultChunk(header=header), self.w.ResultChunk(data=archive)]))
        if reply.sha256 != spec.hx(sha):
            raise SystemExit("the pool stored %s, not %s" % (reply.sha256, spec.hx(sha)))
        self.archives[task_id] = archive


def main():
    configuration = sys.argv[sys.argv.index("--configuration") + 1] if "--configuration" in sys.argv else "Release"
    with tempfile.TemporaryDirectory(prefix="orch-outsider-") as work:
        generate_stubs(os.path.join(work, "stubs"))
        from orchestrator.worker.v1 import worker_pb2 as w, worker_pb2_grpc as wg
        from orchestrator.admin.v1 import admin_pb2 as a, admin_pb2_grpc as ag
        server, url = start_server(work, configuration)
        try:
            channel = grpc.insecure_channel(url)
            admin = ag.PoolAdminStub(channel)
            owner = [("authorization", "Bearer " + TOKEN)]
            wait_for("the admin API", lambda: admin.GetPolicy(a.GetPolicyRequest(), metadata=owner, timeout=5) is not None, server=server)
            key = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")  # Anvil's public test key
            worker = Worker(channel, key, w, wg)
            admin.AuthorizeWorkers(a.AuthorizeWorkersRequest(addresses=[spec.hx(worker.address)]), metadata=owner)
            deal = admin.SubmitDeal(a.SubmitDealRequest(deal=a.Deal(requester="0x" + "11" * 20, app="0x" + "22" * 20, category=0, trust=1, bot_size=TASKS, params="outsider")), metadata=owner).deal_id
            failure = []

            def run():
                try:
                    worker.run(TASKS)
                except BaseException as e:  # noqa: BLE001 - a thread's exception is otherwise only printed
                    failure.append(e)
            runner = threading.Thread(target=run, daemon=True)
            runner.start()
            runner.join(180)
            if failure:
                raise SystemExit("the worker failed: %s" % (failure[0],))
            if runner.is_alive():
                raise SystemExit("the worker did not finish its %d replicates in 180 s" % TASKS)
            summary = {}
            wait_for("the deal to complete", lambda: summary.update(d=admin.GetDeal(a.GetDealRequest(deal_id=deal), metadata=owner).deal) or summary["d"].completed == TASKS, 60, server=server)
            for task_id, archive in worker.archives.items():
                stored = b"".join(chunk.data for chunk in admin.DownloadResult(a.DownloadResultRequest(task_id=task_id), metadata=owner))
                if stored != archive:
                    raise SystemExit("task %s: the stored archive differs from the uploaded one" % task_id)
            print("outsider worker: %d tasks completed, %d archives stored byte for byte" % (summary["d"].completed, len(worker.archives)))
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
            if "--keep-log" in sys.argv:
                print(open(os.path.join(work, "server.log")).read()[-4000:])
    return 0


if __name__ == "__main__":
    # SIGTERM (a CI timeout) unwinds like an error, so the finally above stops the server it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    sys.exit(main())
