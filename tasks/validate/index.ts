// Reading validation tasks (ALGORITHMS.md section 9): SVR/ELM forecasts and anomaly detection.
import "./validate";
import "./forecast";
