/**
 * Child process of the chain store's crash test (lmdb-store.test.ts): opens the
 * persistent chain in the directory given as argument and imports blocks until killed.
 * Before each import it prints `try <hash>`, and once insertBlock has returned (the
 * block is committed and fsynced) `ack <hash>`. Every fourth block is built on the
 * head's parent instead, so imports also reorganise the chain.
 */

import { writeSync } from "node:fs";
import { headerHash } from "../chain/block.js";
import { Blockchain } from "../chain/blockchain.js";
import { bytesToHex } from "../primitives/hex.js";
import { alloc, genesisBlock, SENDER, SPEC, storeTx } from "./testkit.js";

const datadir = process.argv[2];
if (datadir === undefined) throw new Error("usage: crash-child <datadir>");
const chain = await Blockchain.open(SPEC, genesisBlock(), alloc(), { datadir });
for (let i = 0; ; i++) {
  const head = chain.head;
  const fork = i % 4 === 3 && head.block.header.number > 0n;
  const parent = fork ? bytesToHex(head.block.header.parentHash) : head.hash;
  const parentBlock = chain.get(parent)!;
  const nonce = chain.stateAt(parent)?.getAccount(SENDER)?.nonce ?? 0n;
  const n = parentBlock.block.header.number + 1n;
  const block = chain.buildBlock({
    parent,
    transactions: [storeTx(nonce, n % 8n, BigInt(i + 1))],
    withdrawals: [
      {
        index: BigInt(i),
        validatorIndex: 1n,
        address: `0x${(1000 + (i % 50)).toString(16).padStart(40, "0")}`,
        amount: 1n,
      },
    ],
    timestamp: parentBlock.block.header.timestamp + (fork ? 13n : 12n),
  });
  const hash = bytesToHex(headerHash(block.header));
  writeSync(1, `try ${hash}\n`);
  chain.insertBlock(block);
  writeSync(1, `ack ${hash}\n`);
}
