import "./names";
