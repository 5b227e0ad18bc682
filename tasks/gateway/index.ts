import "./serve";
import "./terminals";
