// Test helpers for the contracts: Keccak-256, a small Solidity ABI codec, a JSON-RPC client,
// an Anvil launcher and a contract wrapper. No dependencies beyond Node itself, the compiled
// artifacts in contracts/out/ and the Anvil binary from node_modules.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
export const outDir = join(here, '..', 'out');
export const anvilPath = join(repoRoot, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil');

// ------------------------------------------------------------------------------------------
// Keccak-256 (the original Keccak padding 0x01, as Ethereum uses; not SHA3-256)
// ------------------------------------------------------------------------------------------

const MASK64 = (1n << 64n) - 1n;
const RC = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n,
  0x000000000000808bn, 0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n,
  0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n,
  0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];
// ROT[x][y]
const ROT = [
  [0n, 36n, 3n, 41n, 18n],
  [1n, 44n, 10n, 45n, 2n],
  [62n, 6n, 43n, 15n, 61n],
  [28n, 55n, 25n, 21n, 56n],
  [27n, 20n, 39n, 8n, 14n],
];
const rotl = (v, n) => (n === 0n ? v : ((v << n) | (v >> (64n - n))) & MASK64);

function keccakF(s) {
  const c = new Array(5);
  const b = new Array(25);
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 5; x++) c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1n);
      for (let y = 0; y < 25; y += 5) s[x + y] ^= d;
    }
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(s[x + 5 * y], ROT[x][y]);
    }
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) s[x + y] = b[x + y] ^ (~b[((x + 1) % 5) + y] & MASK64 & b[((x + 2) % 5) + y]);
    }
    s[0] ^= RC[round];
  }
}

/** Keccak-256 of bytes (Buffer/Uint8Array) or of a 0x-hex string's bytes; returns 0x-hex. */
export function keccak256(data) {
  const bytes = typeof data === 'string' ? hexToBytes(data) : Buffer.from(data);
  const rate = 136;
  const padded = Buffer.alloc((Math.floor(bytes.length / rate) + 1) * rate);
  bytes.copy(padded);
  padded[bytes.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  const s = new Array(25).fill(0n);
  for (let off = 0; off < padded.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) s[i] ^= padded.readBigUInt64LE(off + i * 8);
    keccakF(s);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) out.writeBigUInt64LE(s[i], i * 8);
  return '0x' + out.toString('hex');
}

export const keccakText = (text) => keccak256(Buffer.from(text, 'utf8'));

// ------------------------------------------------------------------------------------------
// Hex and packed encoding
// ------------------------------------------------------------------------------------------

export function hexToBytes(hex) {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw new Error(`bad hex: ${hex}`);
  return Buffer.from(h, 'hex');
}
export const toHex = (bytes) => '0x' + Buffer.from(bytes).toString('hex');
export const word = (v) => '0x' + BigInt(v).toString(16).padStart(64, '0');
export const addrOf = (w) => '0x' + w.slice(-40);

/** abi.encodePacked of [type, value] pairs for address, bytes32, uint256 and bytes. */
export function packed(...pairs) {
  const parts = pairs.map(([t, v]) => {
    if (t === 'address') return hexToBytes(v).subarray(-20);
    if (t === 'bytes32') return hexToBytes(v);
    if (t === 'uint256') return hexToBytes(word(v));
    if (t === 'bytes') return hexToBytes(v);
    throw new Error(`packed: unsupported ${t}`);
  });
  return Buffer.concat(parts);
}

// ------------------------------------------------------------------------------------------
// Solidity ABI codec (static and dynamic types, arrays, tuples)
// ------------------------------------------------------------------------------------------

function arrayInfo(type) {
  const m = type.match(/^(.*)\[(\d*)\]$/);
  if (!m) return null;
  return { inner: m[1], length: m[2] === '' ? null : Number(m[2]) };
}
const elemParam = (p, inner) => ({ ...p, type: inner });

function isDynamic(p) {
  if (p.type === 'bytes' || p.type === 'string') return true;
  const a = arrayInfo(p.type);
  if (a) return a.length === null || isDynamic(elemParam(p, a.inner));
  if (p.type === 'tuple') return p.components.some(isDynamic);
  return false;
}

function staticSize(p) {
  const a = arrayInfo(p.type);
  if (a) return a.length * staticSize(elemParam(p, a.inner));
  if (p.type === 'tuple') return p.components.reduce((n, c) => n + staticSize(c), 0);
  return 32;
}

/** Canonical type for signatures: tuples become (t1,t2,...). */
export function canonicalType(p) {
  if (p.type.startsWith('tuple')) return `(${p.components.map(canonicalType).join(',')})${p.type.slice(5)}`;
  return p.type;
}

function padRight(buf) {
  const n = Math.ceil(buf.length / 32) * 32;
  const out = Buffer.alloc(n);
  buf.copy(out);
  return out;
}

function encodeStatic(type, v) {
  if (type === 'address') {
    const b = hexToBytes(v);
    if (b.length !== 20) throw new Error(`bad address ${v}`);
    return Buffer.concat([Buffer.alloc(12), b]);
  }
  if (type === 'bool') return hexToBytes(word(v ? 1 : 0));
  if (/^uint\d*$/.test(type)) {
    const n = BigInt(v);
    if (n < 0n) throw new Error(`negative ${type}`);
    return hexToBytes(word(n));
  }
  if (/^int\d*$/.test(type)) {
    const n = BigInt.asUintN(256, BigInt(v));
    return hexToBytes(word(n));
  }
  const m = type.match(/^bytes(\d+)$/);
  if (m) {
    const b = hexToBytes(v);
    if (b.length !== Number(m[1])) throw new Error(`bad ${type}: ${v}`);
    return padRight(b);
  }
  throw new Error(`unsupported type ${type}`);
}

function encodeValue(p, v) {
  if (p.type === 'bytes') {
    const b = hexToBytes(v);
    return Buffer.concat([hexToBytes(word(b.length)), padRight(b)]);
  }
  if (p.type === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([hexToBytes(word(b.length)), padRight(b)]);
  }
  const a = arrayInfo(p.type);
  if (a) {
    const items = Array.from(v);
    const params = items.map(() => elemParam(p, a.inner));
    const body = encodeParams(params, items);
    return a.length === null ? Buffer.concat([hexToBytes(word(items.length)), body]) : body;
  }
  if (p.type === 'tuple') {
    const values = Array.isArray(v) ? v : p.components.map((c) => {
      if (!(c.name in v)) throw new Error(`missing tuple field ${c.name}`);
      return v[c.name];
    });
    return encodeParams(p.components, values);
  }
  return encodeStatic(p.type, v);
}

export function encodeParams(params, values) {
  if (params.length !== values.length) throw new Error(`expected ${params.length} values, got ${values.length}`);
  const heads = [];
  const tails = [];
  let headSize = params.reduce((n, p) => n + (isDynamic(p) ? 32 : staticSize(p)), 0);
  let tailOffset = headSize;
  params.forEach((p, i) => {
    const enc = encodeValue(p, values[i]);
    if (isDynamic(p)) {
      heads.push(hexToBytes(word(tailOffset)));
      tails.push(enc);
      tailOffset += enc.length;
    } else {
      heads.push(enc);
    }
  });
  return Buffer.concat([...heads, ...tails]);
}

function decodeValue(p, data, pos) {
  const readWord = (at) => BigInt('0x' + data.subarray(at, at + 32).toString('hex'));
  if (p.type === 'bytes' || p.type === 'string') {
    const len = Number(readWord(pos));
    const b = data.subarray(pos + 32, pos + 32 + len);
    return p.type === 'string' ? b.toString('utf8') : toHex(b);
  }
  const a = arrayInfo(p.type);
  if (a) {
    let len = a.length;
    let start = pos;
    if (len === null) {
      len = Number(readWord(pos));
      start = pos + 32;
    }
    return decodeParams(Array.from({ length: len }, () => elemParam(p, a.inner)), data.subarray(start));
  }
  if (p.type === 'tuple') {
    const vals = decodeParams(p.components, data.subarray(pos));
    const obj = {};
    p.components.forEach((c, i) => { obj[c.name || i] = vals[i]; });
    return obj;
  }
  const w = readWord(pos);
  if (p.type === 'address') return '0x' + w.toString(16).padStart(40, '0');
  if (p.type === 'bool') return w !== 0n;
  if (/^uint\d*$/.test(p.type)) return w;
  if (/^int(\d*)$/.test(p.type)) return BigInt.asIntN(256, w);
  if (/^bytes\d+$/.test(p.type)) return '0x' + data.subarray(pos, pos + 32).toString('hex');
  throw new Error(`unsupported type ${p.type}`);
}

export function decodeParams(params, data) {
  const buf = typeof data === 'string' ? hexToBytes(data) : data;
  const out = [];
  let head = 0;
  for (const p of params) {
    if (isDynamic(p)) {
      const off = Number(BigInt('0x' + buf.subarray(head, head + 32).toString('hex')));
      out.push(decodeValue(p, buf, off));
      head += 32;
    } else {
      out.push(decodeValue(p, buf, head));
      head += staticSize(p);
    }
  }
  return out;
}

export const signatureOf = (item) => `${item.name}(${item.inputs.map(canonicalType).join(',')})`;
export const selectorOf = (item) => keccakText(signatureOf(item)).slice(0, 10);

// ------------------------------------------------------------------------------------------
// JSON-RPC
// ------------------------------------------------------------------------------------------

export class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: ${error.message}`);
    this.code = error.code;
    this.data = typeof error.data === 'string' ? error.data : error.data?.data;
  }
}

export class Rpc {
  constructor(url) {
    this.url = url;
    this.id = 0;
  }
  async call(method, params = []) {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new RpcError(method, body.error);
    return body.result;
  }
}

// ------------------------------------------------------------------------------------------
// Anvil
// ------------------------------------------------------------------------------------------

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts Anvil on a free loopback port; returns { rpc, accounts, stop }. */
export async function startAnvil({ accounts = 20 } = {}) {
  if (!existsSync(anvilPath)) throw new Error(`anvil not found at ${anvilPath}: run npm ci`);
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn(anvilPath, [
      '--host', '127.0.0.1', '--port', String(port), '--accounts', String(accounts),
      '--gas-limit', '100000000', '--silent',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr += d; });
    let exited = false;
    const killOnExit = () => { if (!exited) proc.kill('SIGKILL'); };
    process.once('exit', killOnExit); // never leave an Anvil behind, even if the test process dies
    proc.on('exit', () => { exited = true; process.off('exit', killOnExit); });
    const rpc = new Rpc(`http://127.0.0.1:${port}`);
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && !exited) {
      try {
        await rpc.call('eth_chainId');
        const list = await rpc.call('eth_accounts');
        const stop = async () => {
          if (exited) return;
          const done = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGTERM');
          await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
          if (!exited) proc.kill('SIGKILL');
        };
        return { rpc, accounts: list, stop, port };
      } catch (e) {
        lastError = e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    proc.kill('SIGKILL');
    lastError = new Error(`anvil did not start on port ${port}: ${stderr || lastError?.message}`);
  }
  throw lastError;
}

// ------------------------------------------------------------------------------------------
// Contract wrapper
// ------------------------------------------------------------------------------------------

export function loadArtifact(name) {
  const abiPath = join(outDir, `${name}.abi.json`);
  const binPath = join(outDir, `${name}.bin`);
  if (!existsSync(abiPath) || !existsSync(binPath)) {
    throw new Error(`missing ${name} artifacts in ${outDir}: run npm run build:contracts`);
  }
  return { abi: JSON.parse(readFileSync(abiPath, 'utf8')), bin: readFileSync(binPath, 'utf8').trim() };
}

export class ContractError extends Error {
  constructor(name, args, raw, cause) {
    super(`reverted with ${name ?? 'unknown error'}${args ? `(${args.map(String).join(', ')})` : ''} [${raw}]`);
    this.errorName = name;
    this.args = args;
    this.raw = raw;
    this.cause = cause;
  }
}

export class Contract {
  constructor(rpc, address, abi) {
    this.rpc = rpc;
    this.address = address;
    this.abi = abi;
    this.functions = new Map(abi.filter((i) => i.type === 'function').map((i) => [i.name, i]));
    this.events = new Map(abi.filter((i) => i.type === 'event').map((i) => [keccakText(signatureOf(i)), i]));
    this.errors = new Map(abi.filter((i) => i.type === 'error').map((i) => [selectorOf(i), i]));
  }

  static async deploy(rpc, from, { abi, bin }) {
    const hash = await rpc.call('eth_sendTransaction', [{ from, data: '0x' + bin, gas: '0x' + (15_000_000).toString(16) }]);
    const receipt = await waitReceipt(rpc, hash);
    if (receipt.status !== '0x1') throw new Error('deployment failed');
    return new Contract(rpc, receipt.contractAddress, abi);
  }

  encode(name, args) {
    const f = this.functions.get(name);
    if (!f) throw new Error(`no function ${name}`);
    return selectorOf(f) + encodeParams(f.inputs, args).toString('hex');
  }

  decodeError(data) {
    if (!data || data.length < 10) return new ContractError(null, null, data);
    const e = this.errors.get(data.slice(0, 10));
    if (!e) return new ContractError(null, null, data);
    return new ContractError(e.name, decodeParams(e.inputs, '0x' + data.slice(10)), data);
  }

  /** eth_call; returns the decoded outputs (a single value when there is one output). */
  async call(name, args = [], from) {
    const f = this.functions.get(name);
    try {
      const out = await this.rpc.call('eth_call', [{ from, to: this.address, data: this.encode(name, args) }, 'latest']);
      const vals = decodeParams(f.outputs, out);
      return vals.length === 1 ? vals[0] : vals;
    } catch (e) {
      if (e instanceof RpcError && e.data) throw this.decodeError(e.data);
      throw e;
    }
  }

  /** Sends a transaction and waits for its receipt; a revert throws a ContractError. */
  async send(name, args, { from, value = 0n, gas } = {}) {
    const tx = { from, to: this.address, data: this.encode(name, args), value: '0x' + BigInt(value).toString(16) };
    if (gas) tx.gas = '0x' + BigInt(gas).toString(16);
    let hash;
    try {
      hash = await this.rpc.call('eth_sendTransaction', [tx]);
    } catch (e) {
      if (e instanceof RpcError && e.data) throw this.decodeError(e.data);
      throw e;
    }
    const receipt = await waitReceipt(this.rpc, hash);
    if (receipt.status !== '0x1') {
      // replay to get the revert data
      try {
        await this.rpc.call('eth_call', [tx, receipt.blockNumber]);
      } catch (e) {
        if (e instanceof RpcError && e.data) throw this.decodeError(e.data);
      }
      throw new ContractError(null, null, 'status 0');
    }
    receipt.gasUsedN = BigInt(receipt.gasUsed);
    receipt.events = receipt.logs.filter((l) => l.address.toLowerCase() === this.address.toLowerCase()).map((l) => this.decodeLog(l));
    return receipt;
  }

  decodeLog(log) {
    const ev = this.events.get(log.topics[0]);
    if (!ev) return { name: null, log };
    const indexed = ev.inputs.filter((i) => i.indexed);
    const plain = ev.inputs.filter((i) => !i.indexed);
    const dataVals = decodeParams(plain, log.data);
    const args = {};
    let ti = 1;
    let di = 0;
    for (const inp of ev.inputs) {
      if (inp.indexed) {
        args[inp.name] = decodeParams([inp], log.topics[ti++])[0];
      } else {
        args[inp.name] = dataVals[di++];
      }
    }
    void indexed;
    return { name: ev.name, args };
  }
}

export async function waitReceipt(rpc, hash) {
  for (let i = 0; i < 200; i++) {
    const r = await rpc.call('eth_getTransactionReceipt', [hash]);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`no receipt for ${hash}`);
}

/** Asserts that `promise` rejects with the named custom error; returns its args. */
export async function expectRevert(promise, errorName) {
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof ContractError)) throw e;
    if (e.errorName !== errorName) throw new Error(`expected ${errorName}, got ${e.message}`);
    return e.args;
  }
  throw new Error(`expected a revert with ${errorName}, but the call succeeded`);
}

// ------------------------------------------------------------------------------------------
// PoCo helpers
// ------------------------------------------------------------------------------------------

export const taskIdOf = (dealId, idx) => keccak256(packed(['bytes32', dealId], ['uint256', idx]));
export const resultHashOf = (taskId, digest) => keccak256(packed(['bytes32', taskId], ['bytes32', digest]));
export const resultSealOf = (worker, taskId, digest) =>
  keccak256(packed(['address', worker], ['bytes32', taskId], ['bytes32', digest]));

/** personal_sign (EIP-191) of a 32-byte hash by an unlocked Anvil account; v normalized to 27/28. */
export async function personalSign(rpc, account, hash32) {
  const sig = hexToBytes(await rpc.call('eth_sign', [account, hash32]));
  if (sig[64] < 27) sig[64] += 27;
  return toHex(sig);
}

/**
 * Builds an honest (or not) contribution: the worker's signature over
 * keccak256(taskId ‖ resultHash ‖ resultSeal) and, with an enclave challenge account, the
 * enclave's signature over keccak256(resultHash ‖ resultSeal).
 */
export async function contribution(rpc, { worker, taskId, digest, revealed = true, enclave = null }) {
  const resultHash = resultHashOf(taskId, digest);
  const resultSeal = resultSealOf(worker, taskId, digest);
  const workerSignature = await personalSign(rpc, worker, keccak256(packed(['bytes32', taskId], ['bytes32', resultHash], ['bytes32', resultSeal])));
  const enclaveSignature = enclave
    ? await personalSign(rpc, enclave, keccak256(packed(['bytes32', resultHash], ['bytes32', resultSeal])))
    : '0x';
  return {
    worker,
    resultHash,
    resultSeal,
    enclaveChallenge: enclave ?? '0x0000000000000000000000000000000000000000',
    workerSignature,
    enclaveSignature,
    revealed,
  };
}

export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
export const ZERO32 = '0x' + '00'.repeat(32);
/** A result digest as the workers compute it: SHA-256 of the task's output. */
export const digestOf = (output) => '0x' + createHash('sha256').update(output).digest('hex');

/**
 * The packed `finalizeBatch` argument (layout in OrchestratorHub.finalizeBatch's NatSpec):
 * consecutive results of one deal form a run.
 * Hash and seal travel only when the contract cannot compute them: an unrevealed contribution,
 * or a revealed one that does not match the digest (so the contract can refuse it by name).
 */
/**
 * The packed finalizeBatch argument (layout in contracts/README.md): the result base, then runs of
 * one deal's tasks. A result with `callbackData` (hex) sets the count's high bit and appends it.
 */
export function packBatch(results, resultBase = '') {
  const base = Buffer.from(resultBase, 'utf8');
  const baseLength = Buffer.alloc(2);
  baseLength.writeUInt16BE(base.length);
  const parts = [baseLength, base];
  let i = 0;
  while (i < results.length) {
    const dealId = results[i].dealId;
    let j = i;
    while (j < results.length && results[j].dealId === dealId) j++;
    const count = Buffer.alloc(2);
    count.writeUInt16BE(j - i);
    parts.push(hexToBytes(dealId), count);
    for (const r of results.slice(i, j)) {
      const idx = Buffer.alloc(8);
      idx.writeBigUInt64BE(BigInt(r.idx));
      const withCallback = r.callbackData !== undefined;
      parts.push(idx, hexToBytes(r.resultDigest), Buffer.from([r.contributions.length | (withCallback ? 0x80 : 0)]));
      const taskId = taskIdOf(dealId, BigInt(r.idx));
      for (const c of r.contributions) parts.push(packContribution(c, taskId, r.resultDigest));
      if (withCallback) {
        const data = hexToBytes(r.callbackData);
        const length = Buffer.alloc(2);
        length.writeUInt16BE(data.length);
        parts.push(length, data);
      }
    }
    i = j;
  }
  return toHex(Buffer.concat(parts));
}

function packContribution(c, taskId, digest) {
  const sig = hexToBytes(c.workerSignature);
  if (sig.length !== 65) throw new Error(`a worker signature is 65 bytes, got ${sig.length}`);
  const enclave = c.enclaveChallenge && BigInt(c.enclaveChallenge) !== 0n;
  const honest = c.resultHash === resultHashOf(taskId, digest) && c.resultSeal === resultSealOf(c.worker, taskId, digest);
  const hashes = !c.revealed || !honest;
  const flags = (c.revealed ? 1 : 0) | (enclave ? 2 : 0) | (hashes ? 4 : 0);
  const parts = [Buffer.from([flags]), hexToBytes(c.worker), sig];
  if (hashes) parts.push(hexToBytes(c.resultHash), hexToBytes(c.resultSeal));
  if (enclave) {
    const esig = hexToBytes(c.enclaveSignature);
    if (esig.length !== 65) throw new Error(`an enclave signature is 65 bytes, got ${esig.length}`);
    parts.push(hexToBytes(c.enclaveChallenge), esig);
  }
  return Buffer.concat(parts);
}
