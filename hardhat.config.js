// Hardhat 3 configuration for MedCred's registry contract. Runs fully offline: the compiler is the
// emscripten build shipped in the `solc` npm package (no download), with the same settings as
// scripts/build-contract.mjs, which produces the committed artifact contracts/CredentialRegistry.json.
// Needs Node >= 22: run through scripts/test-contracts.sh (which uses the Node 22 from setup-node.sh).
import { createRequire } from "node:module";

import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { defineConfig } from "hardhat/config";

import { COMPILER_SETTINGS } from "./scripts/build-contract.mjs";

const require = createRequire(import.meta.url);
const solcPackage = require("solc/package.json");

export default defineConfig({
  plugins: [hardhatViem, hardhatNodeTestRunner],
  solidity: {
    version: solcPackage.version,
    path: require.resolve("solc/soljson.js"),
    settings: COMPILER_SETTINGS,
  },
  paths: {
    sources: "contracts",
    tests: {
      solidity: "tests/contracts",
      nodejs: "tests/contracts/js",
    },
    cache: "cache/hardhat",
    artifacts: "artifacts",
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
    },
  },
  networks: {
    default: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: "cancun",
    },
  },
});
