// Total transaction gas (21,000 base + calldata + execution) of each registry operation, on Hardhat's
// simulated cancun chain, checked against the targets and printed for the record.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { network } from "hardhat";
import { keccak256, toHex } from "viem";

const ANCHOR_TARGET = 60_000n;
const BULK_PER_CREDENTIAL_TARGET = 6_000n;

describe("CredentialRegistry gas", async () => {
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const [admin, issuer] = await viem.getWalletClients();
  const figures = {};

  const gasOf = async (hashPromise) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hashPromise });
    assert.equal(receipt.status, "success");
    return receipt.gasUsed;
  };

  const registry = await viem.deployContract("CredentialRegistry", [admin.account.address]);
  const asIssuer = { account: issuer.account };
  const root = keccak256(toHex("batch-1"));

  it("deploys the same bytecode as the committed artifact", async () => {
    const artifact = JSON.parse(readFileSync("contracts/CredentialRegistry.json", "utf8"));
    const code = await publicClient.getCode({ address: registry.address });
    assert.equal(code, artifact.deployedBytecode, "contracts/CredentialRegistry.json is stale: run node scripts/build-contract.mjs");
    const deployHash = await admin.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: [admin.account.address],
    });
    figures.deploy = await gasOf(deployHash);
  });

  it("measures governance and key registration", async () => {
    figures.addIssuer = await gasOf(
      registry.write.addIssuer([issuer.account.address, "did:web:stmarys.example", "St Mary's Hospital"]),
    );
    figures.registerKey = await gasOf(
      registry.write.registerKey([keccak256(toHex("z6MkKey")), 1_700_000_000n, 0n], asIssuer),
    );
  });

  it(`anchors a root in <= ${ANCHOR_TARGET} gas`, async () => {
    figures.anchor = await gasOf(registry.write.anchor([root, 10_000], asIssuer));
    assert.ok(figures.anchor <= ANCHOR_TARGET, `anchor used ${figures.anchor}`);
  });

  it("measures a single revocation", async () => {
    figures.revokeOne = await gasOf(registry.write.revoke([root, 5000n, 1], asIssuer));
  });

  it(`revokes 100 consecutive credentials in <= ${BULK_PER_CREDENTIAL_TARGET} gas each`, async () => {
    const indexes = Array.from({ length: 100 }, (_, i) => BigInt(i));
    figures.revokeBatch100 = await gasOf(registry.write.revokeBatch([root, indexes, 1], asIssuer));
    const perCredential = figures.revokeBatch100 / 100n;
    figures.revokeBatch100PerCredential = perCredential;
    assert.ok(perCredential <= BULK_PER_CREDENTIAL_TARGET, `revokeBatch(100) used ${perCredential}/credential`);
    const view = await registry.read.getAnchor([issuer.account.address, root]);
    assert.equal(view.revokedCount, 101);
  });

  it("prints the figures", () => {
    const width = Math.max(...Object.keys(figures).map((k) => k.length));
    console.log("\n  gas (whole transaction, cancun):");
    for (const [name, gas] of Object.entries(figures)) {
      console.log(`    ${name.padEnd(width)}  ${gas.toString().padStart(9)}`);
    }
    assert.ok(Object.keys(figures).length >= 7);
  });
});
