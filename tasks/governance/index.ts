// Governance analytics tasks (P000 Sect. 2.3): clustering and naive Bayes on daily profiles.
import "./cluster";
import "./classify";
