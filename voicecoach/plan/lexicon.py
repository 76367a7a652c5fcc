"""The skill lexicon behind offline interview plans: phrases a job description
or résumé uses ("Airflow", "A/B tests", "direct reports"), the bank categories
they call for, and the words of the cards that practise them.

Each entry is (name, document pattern, categories, card pattern). Patterns are
regular expressions matched case-insensitively: the document pattern against
the job description and résumé, the card pattern against a card's id, title,
tags and key points. Data, not code: add a line to teach the planner a skill."""

from __future__ import annotations

import re
from dataclasses import dataclass

SQL = "Data & SQL"
SD = "Software Engineering & System Design"
ML = "Machine Learning"
DL = "Deep Learning"
ST = "Statistics & Probability"
BH = "Behavioral"
CATEGORIES = (SQL, SD, ML, DL, ST, BH)


@dataclass(frozen=True)
class Skill:
    name: str
    doc: re.Pattern
    categories: tuple[str, ...]
    card: re.Pattern  # matched against lower-cased card text (no re.I: 3x faster)
    weight: float = 1.0  # broad skills ("SQL", "cloud") count less than specific ones ("dbt")


def _s(name: str, doc: str, categories: tuple[str, ...], card: str, weight: float = 1.0) -> Skill:
    return Skill(name, re.compile(doc, re.I), categories, re.compile(card), weight)


SKILLS: tuple[Skill, ...] = (
    # ------------------------------------------------------------ data & SQL
    _s("SQL", r"\bsql\b|postgres(ql)?|\bmysql\b|\bt-sql\b", (SQL,),
       r"\bsql\b|join|group by|\bwhere\b|having|window|\bcte\b|subquer|\bnull|index|query", weight=0.5),
    _s("data warehousing", r"data ?warehous\w*|snowflake|bigquery|redshift|lakehouse|databricks|\bolap\b", (SQL,),
       r"warehous|star schema|dimension|fact table|olap|\bscd\b|slowly"),
    _s("data modelling", r"data model(l)?ing|dimensional model\w*|star schema|kimball|schema design", (SQL,),
       r"schema|dimension|normalis|star|modell"),
    _s("dbt", r"\bdbt\b", (SQL,), r"\belt\b|\betl\b|data.quality|\bcte\b|schema"),
    _s("Airflow", r"airflow|dagster|prefect|orchestrat\w*", (SQL, SD),
       r"\betl\b|\belt\b|pipeline|idempot|schedul|backfill"),
    _s("idempotency", r"idempot\w+|exactly-once|at-least-once|re-?runs? never|double-count\w*", (SD, SQL),
       r"idempot|at-least-once|exactly-once|dedup"),
    _s("Spark", r"\bspark\b|pyspark|hadoop|\bhive\b|big data|petabyte|terabyte", (SQL, SD),
       r"partition|shuffl|distributed|large table|shard|scal"),
    _s("streaming", r"\bkafka\b|kinesis|pub/?sub|\bflink\b|stream(ing)? (data|pipelines?|processing)|real-time (data|pipelines?|events?)", (SD, SQL),
       r"queue|stream|idempot|at-least-once|online|event"),
    _s("ETL pipelines", r"\betl\b|\belt\b|data pipelines?|ingestion|ingest\w*", (SQL,),
       r"\betl\b|\belt\b|pipeline|data.quality|dedup|idempot"),
    _s("data quality", r"data quality|data validation|great expectations|data contracts?|data observability|deduplicat\w*", (SQL,),
       r"quality|dedup|\bnull|validat|correctness"),
    _s("query performance", r"query (performance|optimi[sz]\w*|tuning)|slow queries|indexing|performance tuning", (SQL,),
       r"index|query.plan|partition|performance"),
    # --------------------------------------------------------------- analysis
    _s("dashboards", r"tableau|looker|power ?bi|dashboards?|self-serve analytics|\bbi tools?", (SQL, ST),
       r"aggregat|window|group by|metric|simpson"),
    _s("spreadsheets", r"\bexcel\b|spreadsheets?|google sheets", (SQL,), r"aggregat|group by|window"),
    _s("A/B testing", r"\ba/?b[- ]test\w*|experimentation|experiments?\b|split tests?|controlled trials?", (ST,),
       r"a/b|ab-test|experiment|\bpower\b|sample size|peeking|p-value|multiple.testing|sequential"),
    _s("statistics", r"statistic\w*|hypothesis test\w*|significance|confidence intervals?|regression analysis|inferen\w+", (ST,),
       r"p-value|confidence|hypothesis|inference|t-test|bootstrap|standard error|distribution", weight=0.5),
    _s("causal inference", r"causal\w*|causality|uplift|observational data|difference-in-differences", (ST,),
       r"causal|confound|correlation|simpson|regression to the mean"),
    _s("product metrics", r"\bkpis?\b|north star|retention|funnels?|cohorts?|churn|conversion|product metrics", (ST, SQL),
       r"metric|retention|cohort|aggregat|simpson|survivorship|bias"),
    _s("forecasting", r"forecast\w*|time[- ]series", (ML, ST), r"time.series|temporal|forecast"),
    # -------------------------------------------------------- machine learning
    _s("machine learning", r"machine learning|\bml\b|predictive model\w*|classification|classifiers?", (ML,),
       r"overfit|bias-variance|cross-validation|leakage|regulari|generaliz", weight=0.5),
    _s("model evaluation", r"model evaluation|offline (evaluation|metrics)|precision|recall|\bauc\b|evaluat\w+ models?", (ML,),
       r"metric|precision|recall|\bauc\b|cross-validation|split|calibrat"),
    _s("feature engineering", r"feature engineering|feature pipelines?|feature stores?", (ML,),
       r"feature|encoding|scaling|missing"),
    _s("gradient boosting", r"xgboost|lightgbm|catboost|gradient[- ]boost\w*|random forests?|tree-based", (ML,),
       r"boost|forest|decision tree|ensemble|xgboost"),
    _s("scikit-learn", r"scikit-learn|sklearn", (ML,), r"cross-validation|preprocess|regulari|pipeline"),
    _s("recommender systems", r"recommend\w*|personali[sz]\w*|ranking models?|search relevance", (ML,),
       r"recommend|ranking|collaborative|cold-start|ndcg"),
    _s("MLOps", r"\bmlops\b|model (monitoring|deployment|registry)|deploy\w* models?|mlflow|kubeflow|sagemaker|vertex ai|models? in production|drift",
       (ML, SD), r"mlops|serving|drift|monitor|feature.store|online"),
    _s("model serving", r"model serving|serv\w+ models?|inference (latency|services?)|real-time (predictions|inference)|low-latency inference", (SD, ML),
       r"serving|latency|cach|load.balanc"),
    _s("deep learning", r"deep learning|neural net\w*", (DL,),
       r"gradient|backprop|regularis|initialis|optimis|batchnorm|residual", weight=0.5),
    _s("PyTorch", r"pytorch|tensorflow|keras|\bjax\b", (DL,),
       r"gradient|backprop|training|mixed-precision|optimis|learning.rate|overfit"),
    _s("NLP and LLMs", r"\bnlp\b|natural language|\bllms?\b|large language models?|transformers?|\bbert\b|\bgpt\b|fine-tun\w+|\brag\b|retrieval-augmented|embeddings?",
       (DL,), r"transformer|attention|token|embedding|lora|fine-tun|encoder|decoder"),
    _s("computer vision", r"computer vision|image (classification|recognition|models?)|\bcnns?\b|object detection", (DL,),
       r"\bcnn|convolution|transfer.learning|augmentation|object.detection"),
    _s("GPU training", r"\bgpus?\b|\bcuda\b|distributed training|mixed precision", (DL,), r"gpu|mixed-precision|memory"),
    _s("anomaly detection", r"anomal\w+|fraud|outliers?", (ML, ST), r"anomal|imbalanc|outlier|precision-recall|focal"),
    _s("imbalanced data", r"imbalanced|rare events?|class imbalance", (ML,), r"imbalanc|pr auc|precision"),
    _s("clustering", r"clustering|segmentation|unsupervised", (ML,), r"cluster|k-means|\bpca\b|unsupervised"),
    # -------------------------------------------------- software & system design
    _s("APIs", r"\bapis?\b|\brest(ful)?\b|\bgrpc\b|graphql|microservices?", (SD,),
       r"\bapi|\brest\b|grpc|versioning|rate.limit|microservice"),
    _s("distributed systems", r"distributed systems?|high availability|fault[- ]toleran\w+|consensus|replicat\w+", (SD,),
       r"distributed|\bcap\b|consistency|replication|shard"),
    _s("scalability", r"scal(e|able|ability|ing)\b|high[- ]traffic|millions of (requests|users)|throughput|low[- ]latency", (SD,),
       r"scal|load.balanc|cach|shard|rate.limit", weight=0.5),
    _s("databases", r"databases?|dynamodb|cassandra|mongodb|nosql|\bredis\b", (SD, SQL),
       r"database|index|isolation|transaction|shard|replication|cach", weight=0.5),
    _s("caching", r"\bredis\b|memcached|caching|\bcdn\b", (SD,), r"cach"),
    _s("Kubernetes", r"kubernetes|\bk8s\b|docker|containers?\b|helm", (SD,),
       r"scal|load.balanc|microservice|observab|deploy", weight=0.5),
    _s("cloud", r"\baws\b|\bgcp\b|\bazure\b|google cloud|cloud infrastructure", (SD,), r"scal|availab|load.balanc", weight=0.5),
    _s("observability", r"observability|on-call|\boncall\b|\bsre\b|prometheus|grafana|opentelemetry|monitoring|alerting", (SD,),
       r"observab|monitor|\blogs\b|traces|incident"),
    _s("concurrency", r"concurren\w+|multi-?thread\w*|\basync\w*|parallel\w*", (SD,), r"concurren|thread|deadlock|isolation|process", weight=0.5),
    _s("message queues", r"rabbitmq|\bsqs\b|message (queues?|brokers?)|event-driven|\bqueues?\b|\bkafka\b", (SD,),
       r"queue|idempot|at-least-once|event"),
    _s("testing and CI", r"\btesting\b|unit tests?|integration tests?|\bci/cd\b|continuous (integration|delivery)|\btdd\b|code reviews?", (SD,),
       r"\btest|\bci\b|code.review|branch", weight=0.5),
    _s("algorithms", r"algorithms?|data structures?", (SD,), r"hash|\btree\b|complexity|big-o|algorithm", weight=0.5),
    _s("system design", r"system design|architect\w*|design reviews?|technical design", (SD,),
       r"system-design|architecture|microservice|design", weight=0.5),
    # ---------------------------------------------------------------- behavioral
    _s("people management", r"people management|manag\w+ (a |the )?team|direct reports|line manag\w+|hiring (engineers|and)|hired|recruit\w* engineers|"
       r"performance reviews?|career (growth|development)|one-on-ones?|\b1:1s?\b|grow(ing)? engineers|manage \d+ engineers", (BH,),
       r"underperform|feedback|mentor|coach|leadership|conflict|performance"),
    _s("mentoring", r"mentor\w*|coach\w*|onboard\w*|grow(ing)? junior", (BH,), r"mentor|coach|feedback"),
    _s("leadership", r"\blead(ing|s)?\b|leadership|ownership|\bown(ing)? (the|our)\b|technical direction|tech lead|drive\b|driving", (BH,),
       r"lead|ownership|influence|project", weight=0.5),
    _s("stakeholders", r"stakeholders?|cross-functional|product managers?|communicat\w+|non-technical|business partners|present\w* (findings|results)",
       (BH,), r"stakeholder|non-technical|communicat|scope", weight=0.5),
    _s("ambiguity", r"ambigu\w+|fast-paced|start-?up|changing priorities|prioriti[sz]\w*", (BH,),
       r"ambigu|prioriti|deadline|competing|decision"),
    _s("collaboration", r"collaborat\w+|teamwork|team player|partner(ing)? (with|closely)", (BH,),
       r"conflict|collaborat|disagree|teamwork", weight=0.5),
    _s("delivery", r"roadmaps?|deadlines?|\bokrs?\b|planning and execution|project planning|deliver(y|ing)? (of|on) (projects?|the roadmap|commitments)|ship(ping)? on time|own the roadmap",
       (BH,),
       r"deadline|planning|execution|prioriti|scope", weight=0.5),
    _s("incidents", r"incidents?|post-?mortems?|outages?", (BH, SD), r"production|incident|mistake|observab|reliab"),
    _s("influence", r"influenc\w+|strategy|vision|alignment|across teams|org-wide|company-wide", (BH,),
       r"influence|disagree|leading|decision"),
    _s("learning", r"learn(ing)? (quickly|fast|new)|curious|curiosity|new technolog\w+|self-starter|growth mindset", (BH,),
       r"learn|feedback|growth"),
)

# Words of a role title, in order of precedence: the first that matches wins.
FAMILIES: tuple[tuple[str, re.Pattern], ...] = (
    ("manager", re.compile(r"\b(engineering manager|manager|head of|director|vp)\b", re.I)),
    ("ml", re.compile(r"machine learning|\bml\b|\bai\b|data scientist|applied scientist|research (engineer|scientist)|deep learning|\bnlp\b|computer vision|mlops", re.I)),
    ("data_eng", re.compile(r"data engineer|analytics engineer|data platform|\betl\b|big data", re.I)),
    ("analyst", re.compile(r"analyst|business intelligence|\bbi\b|insights", re.I)),
    ("backend", re.compile(r"back-?end|software engineer|software developer|developer|platform|\bsre\b|site reliability|devops|full[- ]?stack|infrastructure|engineer", re.I)),
)
FAMILY_NAMES = {"ml": "machine learning", "data_eng": "data engineering", "backend": "backend engineering",
                "analyst": "data analysis", "manager": "engineering management", "general": "general"}

# The category mix each kind of job gets, as shares of the plan.
MIXES: dict[str, dict[str, float]] = {
    "ml": {ML: 0.40, DL: 0.20, ST: 0.15, SD: 0.05, BH: 0.20},
    "data_eng": {SQL: 0.50, SD: 0.30, BH: 0.20},
    "backend": {SD: 0.65, SQL: 0.10, BH: 0.25},
    "analyst": {SQL: 0.40, ST: 0.35, BH: 0.25},
    "manager": {BH: 0.60, SD: 0.25, SQL: 0.05, ML: 0.05, ST: 0.05},
    "general": {BH: 0.25},
}

SENIORITY: tuple[tuple[str, re.Pattern], ...] = (
    ("manager", re.compile(r"\b(manager|head of|director|vp)\b", re.I)),
    ("staff", re.compile(r"\b(staff|principal|distinguished)\b", re.I)),
    ("lead", re.compile(r"\b(lead|tech lead)\b", re.I)),
    ("senior", re.compile(r"\b(senior|sr\.?)\b", re.I)),
    ("junior", re.compile(r"\b(junior|jr\.?|graduate|entry[- ]level|intern(ship)?|new grad)\b", re.I)),
    ("mid", re.compile(r"\b(mid[- ]level|intermediate)\b", re.I)),
)
