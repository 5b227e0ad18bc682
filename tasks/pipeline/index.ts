import "./run";
