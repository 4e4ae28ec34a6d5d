#!/usr/bin/env node
// Build contracts/CredentialRegistry.json, the artifact the Python side loads, with the `solc` npm
// package (emscripten soljson: no compiler download, runs on Node >= 20, no Hardhat needed).
//
//   node scripts/build-contract.mjs [OUT]      (default OUT: contracts/CredentialRegistry.json)
//
// Deterministic: source unit names are repo-relative (`contracts/...`, `@openzeppelin/...`), the
// metadata hash is not appended to the bytecode (`bytecodeHash: "none"`), object keys are sorted, and
// the JSON is written with a 2-space indent and a trailing newline. Two runs on any machine with the
// same package-lock.json give the same bytes; the Python test suite relies on that to detect a stale
// committed artifact.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, renameSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const solc = require("solc");

const CONTRACT_NAME = "CredentialRegistry";
const ENTRY = "contracts/CredentialRegistry.sol";
const DEFAULT_OUT = "contracts/CredentialRegistry.json";

// The settings that decide the bytecode. hardhat.config.js imports them from here, so the contract
// tests run against the same compilation as the committed artifact.
export const COMPILER_SETTINGS = {
  evmVersion: "cancun",
  metadata: { bytecodeHash: "none" },
  optimizer: { enabled: true, runs: 200 },
};

// The solc standard-JSON settings used here, byte for byte (also recorded in the artifact).
export const SOLC_SETTINGS = {
  ...COMPILER_SETTINGS,
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  },
};

/** Map a source unit name to a repo-relative file path (imports from npm packages resolve to node_modules). */
function unitToFile(unit) {
  if (unit.startsWith("contracts/")) return unit;
  if (unit.startsWith("@")) return path.posix.join("node_modules", unit);
  throw new Error(`cannot resolve import ${JSON.stringify(unit)}`);
}

function readUnit(unit) {
  const rel = unitToFile(unit);
  const abs = path.resolve(ROOT, rel);
  if (!abs.startsWith(ROOT + path.sep)) throw new Error(`import escapes the repository: ${unit}`);
  return readFileSync(abs, "utf8");
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out;
  }
  return value;
}

export function build() {
  const input = {
    language: "Solidity",
    sources: { [ENTRY]: { content: readUnit(ENTRY) } },
    settings: SOLC_SETTINGS,
  };
  const loaded = new Map([[ENTRY, input.sources[ENTRY].content]]);
  const findImports = (unit) => {
    try {
      const contents = readUnit(unit);
      loaded.set(unit, contents);
      return { contents };
    } catch (err) {
      return { error: String(err.message ?? err) };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const problems = output.errors ?? [];
  const errors = problems.filter((e) => e.severity === "error");
  for (const e of problems) process.stderr.write(`${e.formattedMessage ?? e.message}\n`);
  if (errors.length > 0) throw new Error(`solc reported ${errors.length} error(s)`);

  const contract = output.contracts?.[ENTRY]?.[CONTRACT_NAME];
  if (!contract) throw new Error(`${CONTRACT_NAME} not found in ${ENTRY}`);

  const sources = {};
  for (const unit of Object.keys(output.sources ?? {})) {
    const content = loaded.get(unit) ?? readUnit(unit);
    sources[unitToFile(unit)] = createHash("sha256").update(content, "utf8").digest("hex");
  }

  return {
    contractName: CONTRACT_NAME,
    abi: sortKeys(contract.abi),
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    compiler: { name: "solc", version: solc.version() },
    settings: sortKeys(SOLC_SETTINGS),
    sources: sortKeys(sources),
  };
}

function main() {
  const out = path.resolve(process.cwd(), process.argv[2] ?? path.join(ROOT, DEFAULT_OUT));
  const artifact = build();
  const text = `${JSON.stringify(artifact, null, 2)}\n`;
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, out);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`build-contract: ${err.message ?? err}\n`);
    process.exit(1);
  }
}
