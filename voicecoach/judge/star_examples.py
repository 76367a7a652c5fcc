"""Key points as card writers phrase the STAR parts, in three sets written at
different times (A, then B after A's misses were seen, then C after B's), for
the nearest-neighbour fallback in :func:`voicecoach.judge.structure.star_part`.
``tests/test_star_phrasing.py`` holds each set out in turn and checks the rest
still place it."""

from __future__ import annotations

EXAMPLES: dict[str, dict[str, list[str]]] = {
    "A": {
        "situation": [
            "Paints the background: team, product and deadline",
            "Explains the circumstances before anything went wrong",
            "Gives enough context for the listener to follow",
            "Names a real project, not a hypothetical",
            "Describes where they worked and what was going on",
            "Frames the problem they faced",
        ],
        "task": [
            "Makes clear what they were accountable for",
            "States what was expected of them",
            "Says what their part in it was",
            "Explains what they were trying to achieve",
            "Clarifies their objective",
        ],
        "action": [
            "Walks through what they did, step by step",
            "Focuses on their own contribution rather than the team's",
            "Describes the concrete moves they made",
            "Talks about the decisions they made and why",
            "Explains how they handled it",
            "Uses 'I' for their own work",
        ],
        "result": [
            "Ends with what changed because of it",
            "Gives a concrete number for the payoff",
            "Says how things turned out",
            "Quantifies the impact on users or revenue",
            "Mentions the effect on the team or the product",
            "States the final state of the project",
        ],
        "reflection": [
            "Shares what they would do differently",
            "Says what the experience taught them",
            "Names one insight they carry into later work",
            "Shows growth since then",
            "Explains how it changed their approach",
        ],
    },
    "B": {
        "situation": [
            "Opens with when and where this happened",
            "Tells us what the team was building at the time",
            "Explains why the moment was difficult",
            "Grounds the story in an actual job they held",
            "Describes the state of things before they stepped in",
        ],
        "task": [
            "Identifies the part of the problem that fell to them",
            "Explains the target they had to hit",
            "Says who relied on them and for what",
            "Spells out the decision they had to make",
        ],
        "action": [
            "Lists the specific things they did next",
            "Shows initiative: what they chose to do without being asked",
            "Explains the approach they took and the alternatives they rejected",
            "Keeps the focus on their personal effort",
            "Describes how they persuaded the others",
        ],
        "result": [
            "Closes the loop: what came of it",
            "Backs the ending with a figure",
            "Mentions whether the deadline was met",
            "Says what the customer or the business got out of it",
            "Describes the measurable difference it made",
        ],
        "reflection": [
            "Admits what they would change about how they handled it",
            "Draws a general principle from the story",
            "Connects the experience to how they work today",
            "Is honest about what they got wrong and took from it",
        ],
    },
    "C": {
        "situation": [
            "Briefly explains the company and the team involved",
            "Sets out what was broken or at risk",
            "Picks an example from a real role, with dates",
            "Describes the product and the customers affected",
            "Outlines the pressure they were under",
        ],
        "task": [
            "Names the outcome they were asked to own",
            "Says exactly what was on their plate",
            "Explains what success would have looked like for them",
            "Is clear about their remit versus their manager's",
            "States the commitment they had made",
        ],
        "action": [
            "Gives the sequence of things they tried",
            "Says how they got buy-in from stakeholders",
            "Describes the trade-offs they weighed before acting",
            "Avoids hiding behind 'we': their own work is clear",
            "Explains who they involved and when",
            "Shows the judgement calls they made along the way",
        ],
        "result": [
            "Reports the effect on latency, revenue or churn",
            "Says whether the launch went ahead",
            "Ties the ending back to the original goal with evidence",
            "Mentions what the stakeholders said afterwards",
            "Gives a before-and-after comparison",
        ],
        "reflection": [
            "Names something they do differently now because of it",
            "Shows self-awareness about their own part in the problem",
            "Explains what they'd advise a colleague facing the same thing",
            "Says what the episode revealed about how they work",
        ],
    },
}
