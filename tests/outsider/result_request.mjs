// A requester outside .NET: downloads a task's result from a pool's JSON API with nothing but the
// README's description and ethers (npm). It asks the pool for its EIP-712 domain, signs
// ResultRequest{taskId, kind: "result", expiry} with the requester's key, sends the signature and
// expiry in the X-Orchestrator-Signature and X-Orchestrator-Expiry headers, and writes the body.
//
//   node tests/outsider/result_request.mjs <http base url> <task id> <private key hex> <output file>
//
// Prints one JSON line: the HTTP status, the X-Orchestrator-* headers and the signer's address.
// Exits 0 after a 200, 1 otherwise (the refusal's body goes to stderr).
import { writeFileSync } from "node:fs";
import { Wallet } from "ethers";

const [base, taskId, key, output] = process.argv.slice(2);
if (!output) {
  console.error("usage: result_request.mjs <http base url> <task id> <private key hex> <output file>");
  process.exit(2);
}

const domainReply = await fetch(`${base}/v1/results:domain`);
if (!domainReply.ok) {
  console.error(`GET /v1/results:domain: ${domainReply.status} ${await domainReply.text()}`);
  process.exit(1);
}

const pool = await domainReply.json();
const domain = {
  name: pool.name,
  version: pool.version,
  chainId: BigInt(pool.chainId ?? 0),
  verifyingContract: pool.verifyingContract,
};
const types = {
  ResultRequest: [
    { name: "taskId", type: "bytes32" },
    { name: "kind", type: "string" },
    { name: "expiry", type: "uint64" },
  ],
};
const expiry = BigInt(Math.floor(Date.now() / 1000) + 300);
const wallet = new Wallet(key.startsWith("0x") ? key : `0x${key}`);
const signature = await wallet.signTypedData(domain, types, { taskId, kind: "result", expiry });

const reply = await fetch(`${base}/v1/tasks/${taskId}/result`, {
  headers: { "X-Orchestrator-Signature": signature, "X-Orchestrator-Expiry": expiry.toString() },
});
const headers = Object.fromEntries([...reply.headers].filter(([name]) => name.startsWith("x-orchestrator-")));
if (!reply.ok) {
  console.error(await reply.text());
  console.log(JSON.stringify({ status: reply.status, headers, signer: wallet.address }));
  process.exit(1);
}

writeFileSync(output, Buffer.from(await reply.arrayBuffer()));
console.log(JSON.stringify({ status: reply.status, headers, signer: wallet.address }));
