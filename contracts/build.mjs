#!/usr/bin/env node
// Compiles contracts/src/*.sol (and the tests' helper contracts, contracts/test/*.sol) with solcjs
// (npm package `solc`) into contracts/out/:
//   <Name>.abi.json   the ABI (JSON array)
//   <Name>.bin        creation bytecode, lowercase hex without 0x and without a newline
//   <Name>.bin-runtime deployed bytecode, same format
//   <Name>.signatures.json  canonical function signature -> 4-byte selector (hex, no 0x)
//   build-info.json   compiler version, settings and the sha256 of every source
// Usage: node contracts/build.mjs [--if-needed]
//   --if-needed: do nothing when build-info.json matches the current sources and settings.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, 'src');
const testDir = join(here, 'test');
const outDir = join(here, 'out');
const require = createRequire(import.meta.url);

let solc;
try {
  solc = require('solc');
} catch {
  console.error('contracts/build.mjs: the npm package "solc" is not installed; run `npm ci` (or `npm install`) at the repository root.');
  process.exit(2);
}

const settings = {
  // runs 1000, not more: with matchOrders the hub must stay under EIP-170's 24 576-byte code limit (at runs 1 000 000
  // the optimizer's inlining made it 27 kB, which Anvil and every mainnet refuse to deploy).
  optimizer: { enabled: true, runs: 1000 },
  evmVersion: 'cancun',
  viaIR: true,
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.methodIdentifiers'] } },
};

// Source keys: the hub's files by name (as before), the tests' contracts under test/.
const files = [
  ...readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort().map((f) => [f, join(srcDir, f)]),
  ...readdirSync(testDir).filter((f) => f.endsWith('.sol')).sort().map((f) => [`test/${f}`, join(testDir, f)]),
];
const sources = {};
const hashes = {};
for (const [f, path] of files) {
  const content = readFileSync(path, 'utf8');
  sources[f] = { content };
  hashes[f] = createHash('sha256').update(content).digest('hex');
}
const info = { compiler: solc.version(), settings, sources: hashes };
const infoText = JSON.stringify(info, null, 2) + '\n';
const infoPath = join(outDir, 'build-info.json');

if (process.argv.includes('--if-needed') && existsSync(infoPath) && readFileSync(infoPath, 'utf8') === infoText) {
  console.log(`contracts: up to date (solc ${solc.version()})`);
  process.exit(0);
}

const started = Date.now();
const output = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings })));
let failed = false;
for (const e of output.errors ?? []) {
  if (e.severity === 'error') failed = true;
  console.error(e.formattedMessage ?? e.message);
}
if (failed) {
  console.error('contracts: compilation failed');
  process.exit(1);
}

mkdirSync(outDir, { recursive: true });
const written = [];
for (const [file, contracts] of Object.entries(output.contracts ?? {})) {
  for (const [name, c] of Object.entries(contracts)) {
    const bin = c.evm.bytecode.object;
    if (!bin) continue; // interfaces and abstract contracts
    writeFileSync(join(outDir, `${name}.abi.json`), JSON.stringify(c.abi, null, 2) + '\n');
    writeFileSync(join(outDir, `${name}.bin`), bin);
    writeFileSync(join(outDir, `${name}.bin-runtime`), c.evm.deployedBytecode.object);
    writeFileSync(join(outDir, `${name}.signatures.json`), JSON.stringify(c.evm.methodIdentifiers, null, 2) + '\n');
    written.push(`${name} (${file}): ${bin.length / 2} bytes creation, ${c.evm.deployedBytecode.object.length / 2} bytes runtime`);
  }
}
writeFileSync(infoPath, infoText);
console.log(`contracts: compiled with solc ${solc.version()} in ${Date.now() - started} ms into ${outDir}`);
for (const w of written) console.log(`  ${w}`);
