// The SDK's distribution artifacts: ABI files for dApps and other tools.
import "./abi";
