import { expect } from "chai";
import { Interface, type Fragment, type InterfaceAbi } from "ethers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NAME_REGISTRY_ABI, SHARING_ABI } from "../../src/sdk";

const ABI_DIR = join(__dirname, "../../abi");

/** Each hand-written fragment of the SDK and the contract whose exported ABI (abi/*.json) it must match. */
const FRAGMENTS: { name: string; abi: InterfaceAbi; contract: string }[] = [
  { name: "NAME_REGISTRY_ABI", abi: NAME_REGISTRY_ABI, contract: "DataNameRegistry" },
  { name: "SHARING_ABI", abi: SHARING_ABI, contract: "DataSharing" },
];

/** The fragment in its full human-readable form: signature, parameter names, mutability and outputs. */
const full = (fragment: Fragment): string => fragment.format("full");

describe("SDK ABI fragments", function () {
  for (const { name, abi, contract } of FRAGMENTS) {
    describe(name, function () {
      const written = new Interface(abi);
      const exported = new Interface(JSON.parse(readFileSync(join(ABI_DIR, `${contract}.json`), "utf8")));

      it(`declares only functions and errors of abi/${contract}.json, exactly as compiled`, function () {
        const mismatches: string[] = [];
        written.forEachFunction((fragment) => {
          const actual = exported.getFunction(fragment.selector);
          if (actual === null) mismatches.push(`${full(fragment)}: no such function`);
          else if (full(actual) !== full(fragment)) mismatches.push(`${full(fragment)} != ${full(actual)}`);
        });
        written.forEachError((fragment) => {
          const actual = exported.getError(fragment.selector);
          if (actual === null) mismatches.push(`${full(fragment)}: no such error`);
          else if (full(actual) !== full(fragment)) mismatches.push(`${full(fragment)} != ${full(actual)}`);
        });
        expect(mismatches).to.deep.equal([]);
      });

      it("declares at least one function", function () {
        let functions = 0;
        written.forEachFunction(() => functions++);
        expect(functions).to.be.greaterThan(0);
      });
    });
  }

  it("NAME_REGISTRY_ABI decodes every custom error the name functions it calls can raise", function () {
    // The resolver turns a malformed name into the contract's reason, so every naming rule error must be there.
    const written = new Interface(NAME_REGISTRY_ABI);
    const exported = new Interface(JSON.parse(readFileSync(join(ABI_DIR, "DataNameRegistry.json"), "utf8")));
    const ruleErrors: string[] = [];
    exported.forEachError((fragment) => {
      if (/Label|NameTooLong|NameNotRegistered/.test(fragment.name)) ruleErrors.push(full(fragment));
    });
    const declared: string[] = [];
    written.forEachError((fragment) => declared.push(full(fragment)));
    expect(declared).to.include.members(ruleErrors);
  });
});
