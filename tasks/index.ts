// Registers every task group; imported once by hardhat.config.ts.
import "./governance";
import "./chain";
import "./route";
import "./validate";
import "./pipeline";
import "./sdk";
import "./remix";
