import "./run";
import "./trace";
