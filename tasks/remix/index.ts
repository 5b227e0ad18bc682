// The Remix-compatible flow: flattened sources and remix-tests Solidity unit tests.
import "./flatten";
import "./remixTests";
