// A pool owner, an app owner and a requester outside .NET: each signs its PoCo v5 order with ethers (npm) under the
// EIP-712 domain the pool's JSON API returns, using nothing but the README's type strings; the pool publishes its
// workerpool order with its token, the app owner its app order, and the requester's order is matched into a deal.
//
//   node tests/outsider/order_match.mjs <http base url> <admin token> <pool key hex> <app owner key hex> <requester key hex> <app address>
//
// Prints one JSON line: the digests ethers computed (appHash, workerpoolHash, requestHash) and the match's reply.
// Exits 0 after the match, 1 on any refusal (its status and body go to stderr).
import { TypedDataEncoder, Wallet, hexlify, randomBytes } from "ethers";

const [base, token, poolKey, appKey, requesterKey, app] = process.argv.slice(2);
if (!app) {
  console.error("usage: order_match.mjs <http base url> <admin token> <pool key> <app owner key> <requester key> <app address>");
  process.exit(2);
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO32 = "0x" + "00".repeat(32);
const TYPES = {
  AppOrder: "address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,address requesterrestrict,bytes32 salt",
  WorkerpoolOrder: "address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt",
  RequestOrder: "address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address beneficiary,address callback,string params,bytes32 salt",
};
const fields = (kind) => TYPES[kind].split(",").map((f) => { const [type, name] = f.split(" "); return { name, type }; });
const wallet = (key) => new Wallet(key.startsWith("0x") ? key : `0x${key}`);
const base64 = (hex) => Buffer.from(hex.slice(2), "hex").toString("base64");

async function call(method, path, body, headers = {}) {
  const reply = await fetch(`${base}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body && JSON.stringify(body) });
  const text = await reply.text();
  if (!reply.ok) {
    console.error(`${method} ${path}: ${reply.status} ${text}`);
    process.exit(1);
  }
  return JSON.parse(text);
}

const served = await call("GET", "/v1/orders:domain");
const domain = { name: served.name, version: served.version, chainId: BigInt(served.chainId ?? 0), verifyingContract: served.verifyingContract };
const sign = async (kind, order, signer) => ({
  hash: TypedDataEncoder.hash(domain, { [kind]: fields(kind) }, order),
  signature: await signer.signTypedData(domain, { [kind]: fields(kind) }, order),
});

const pool = wallet(poolKey);
const poolOrder = {
  workerpool: pool.address, workerpoolprice: 5n, volume: 2n, tag: ZERO32, category: 0n, trust: 1n,
  apprestrict: ZERO_ADDRESS, datasetrestrict: ZERO_ADDRESS, requesterrestrict: ZERO_ADDRESS, salt: hexlify(randomBytes(32)),
};
const poolSigned = await sign("WorkerpoolOrder", poolOrder, pool);
await call("POST", "/v1/admin/orders", {
  order: { kind: "ORDER_KIND_WORKERPOOL", asset: pool.address, price: "5", volume: "2", trust: "1", salt: poolOrder.salt, signature: base64(poolSigned.signature) },
}, { authorization: `Bearer ${token}` });

const appOrder = {
  app, appprice: 3n, volume: 10n, tag: ZERO32, datasetrestrict: ZERO_ADDRESS, workerpoolrestrict: pool.address, requesterrestrict: ZERO_ADDRESS,
  salt: hexlify(randomBytes(32)),
};
const appSigned = await sign("AppOrder", appOrder, wallet(appKey));
await call("POST", "/v1/orders", {
  order: { kind: "ORDER_KIND_APP", asset: app, price: "3", volume: "10", workerpoolRestrict: pool.address, salt: appOrder.salt, signature: base64(appSigned.signature) },
});

const requester = wallet(requesterKey);
const request = {
  app, appmaxprice: 3n, dataset: ZERO_ADDRESS, datasetmaxprice: 0n, workerpool: pool.address, workerpoolmaxprice: 5n, requester: requester.address,
  volume: 2n, tag: ZERO32, category: 0n, trust: 1n, beneficiary: requester.address, callback: ZERO_ADDRESS, params: "signed by ethers",
  salt: hexlify(randomBytes(32)),
};
const requestSigned = await sign("RequestOrder", request, requester);
const match = await call("POST", "/v1/orders:match", {
  request: {
    app, appMaxPrice: "3", workerpool: pool.address, workerpoolMaxPrice: "5", requester: requester.address, volume: "2", trust: "1",
    beneficiary: requester.address, params: request.params, salt: request.salt, signature: base64(requestSigned.signature),
  },
  appOrder: appSigned.hash,
  workerpoolOrder: poolSigned.hash,
});
console.log(JSON.stringify({ appHash: appSigned.hash, workerpoolHash: poolSigned.hash, requestHash: requestSigned.hash, match }));
