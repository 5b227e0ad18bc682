import "./chain";
