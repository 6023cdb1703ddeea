"""Build `examples/out-of-domain.jsonl`: the team's own out-of-domain check set.

Every sentence below was written by the team (no dataset was copied). A text is
one or more sentences of the same valence class from its domain's pool, with
optional neutral filler sentences (which carry no emotion and do not move the
valence), so its label is the class and the union of the emotions of the
sentences it was built from. Slots ({product}, {movie}, ...) are filled from
small lists, and long texts (several sentences plus filler, many over 128
tokens) exist so truncation and chunking can be compared.

Split rule: an item is "calib" when the first byte of sha256(id) is even, else
"check"; thresholds are chosen on calib and reported on check (and overall).

Run: `python examples/build_out_of_domain.py` (deterministic; seed fixed).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out-of-domain.jsonl"
#: The first 60 texts, written one by one (ids rev-, mov-, news-, red-); kept as they are.
HANDWRITTEN = Path(__file__).resolve().parent / "out-of-domain-handwritten.jsonl"
PER_DOMAIN = 260
SEED = 2018

Frag = tuple[str, tuple[str, ...]]


def f(text: str, *emotions: str) -> Frag:
    return text, emotions


SLOTS: dict[str, list[str]] = {
    "product": ["blender", "kettle", "vacuum", "air fryer", "desk lamp", "backpack", "phone case", "router",
                "office chair", "rice cooker", "electric toothbrush", "pair of headphones", "standing desk",
                "coffee grinder", "robot mop", "space heater", "hiking boot", "yoga mat", "smartwatch", "drill"],
    "brand": ["Norvik", "Aldenmoor", "Kestrel", "Brightway", "Tomlin & Co", "Zephra", "Hollis", "Marrow"],
    "movie": ["The Glass Orchard", "Northbound", "Salt and Ember", "A Quiet Harbour", "Night Ferry",
              "The Long Count", "Paper Kingdoms", "Under the Lime Trees", "Static Bloom", "The Cartographer"],
    "actor": ["Dana Whitcombe", "Luis Ferreira", "Amara Osei", "Tom Halvorsen", "Priya Nandakumar", "Jean Marchetti"],
    "city": ["Leeds", "Porto", "Cincinnati", "Lyon", "Gdansk", "Adelaide", "Tucson", "Nagpur", "Halifax", "Ghent"],
    "org": ["the city council", "the regional health authority", "the transport ministry", "the school board",
            "the water utility", "the port authority", "the national statistics office"],
    "company": ["Veltra Systems", "Orrin Foods", "Castell Energy", "Blue Fen Logistics", "Harwick Pharma"],
    "n": ["three", "four", "five", "six", "eight", "ten", "twelve", "fifteen", "twenty", "forty"],
    "h": ["two", "three", "four", "five", "six", "eight", "nine"],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "name": ["Sam", "Priya", "Jonas", "Mei", "Oluwaseun", "Carla", "Dmitri", "Hannah", "Ravi", "Ines"],
    "thing": ["the new bus timetable", "the library renovation", "the four-day week", "remote work",
              "the stadium plan", "congestion charging", "the tax reform", "school uniforms", "the bike lanes"],
    "hobby": ["sourdough", "bouldering", "the guitar", "birdwatching", "running", "woodworking", "chess"],
}

# Per domain: neutral filler (no emotion, no valence) and sentences per valence class.
FILLER: dict[str, list[str]] = {
    "product review": [
        "I bought the {product} in {day}'s sale after comparing it with two other models.",
        "It comes in black or grey and the box includes a manual and a spare filter.",
        "I have been using it for about {n} weeks, mostly in the mornings.",
        "For context, my last one was a {brand} that I had for years.",
        "The instructions are printed in six languages.",
        "Setup took roughly ten minutes, including charging it for the first time.",
        "It weighs a bit more than the photos suggest and is about the size of a shoebox.",
        "I use it in a small flat, so your experience in a bigger space may differ.",
        "The warranty is two years if you register it online.",
        "My partner uses it too, usually at weekends.",
    ],
    "movie review": [
        "{movie} runs just over two hours and is set in a coastal town in the late seventies.",
        "{actor} plays a retired surveyor who returns home after her brother's death.",
        "The film was shot on location over {n} weeks, according to the press notes.",
        "It is the director's third feature and the first in English.",
        "The story is told mostly in flashback, across two summers.",
        "The supporting cast includes several first-time actors from the area.",
        "I saw it at a Tuesday matinee with maybe twenty other people.",
        "The score is mostly piano and strings.",
        "It is based loosely on a novel from the nineties.",
        "There is a short scene after the credits.",
    ],
    "news": [
        "The announcement was made at a press conference in {city} on {day}.",
        "A spokesperson for {org} said further details would be published next month.",
        "The figures cover the twelve months to the end of March.",
        "The proposal will be discussed at a meeting scheduled for {day}.",
        "{company} employs around {h} thousand people across the region.",
        "Officials did not give a timetable for the next phase.",
        "The report was compiled from data supplied by {n} local offices.",
        "Similar measures were introduced in {city} two years ago.",
        "The committee is expected to vote before the summer recess.",
        "The full statement is available on the organisation's website.",
    ],
    "editorial": [
        "The debate over {thing} has run for most of the year.",
        "Supporters and critics both cite the same survey, read in different ways.",
        "The council will take a final decision in the autumn.",
        "Similar schemes exist in {city} and several other cities.",
        "The cost estimate published in spring was revised twice.",
        "Most residents will notice the change only at the margins.",
        "The consultation drew about {h} hundred written responses.",
    ],
    "forum post": [
        "Long time lurker, first post here.",
        "Running the latest version on a five-year-old laptop, if that matters.",
        "I have been doing {hobby} for about {n} months now.",
        "Posting this in the general section because I wasn't sure where else it fits.",
        "For reference, I live in {city} and mostly go out on weekends.",
        "Edit: fixed the formatting.",
        "I searched the old threads first but most of them are from years ago.",
        "My setup is pretty standard, nothing custom.",
    ],
    "chat message": [
        "btw I'm at the station now",
        "the meeting moved to 3",
        "I'll be on the {day} train",
        "did you get my email",
        "sending the file now",
        "{name} says hi",
        "I'm in the queue at the shop",
    ],
    "mixed genre": [
        "The kitchen window looked out on a row of garages.",
        "It was the second week of {day}s spent in the archive.",
        "The letter was dated the fourth of March.",
        "My grandmother kept the receipts in a biscuit tin.",
        "The train stopped at {city} for twenty minutes.",
        "He folded the map along its old creases.",
        "There were {n} chairs around the table, one of them broken.",
        "In the essay that follows I consider three objections.",
    ],
}

POOLS: dict[str, dict[int, list[Frag]]] = {
    "product review": {
        3: [f("Honestly the best {product} I have ever owned, I'm thrilled with it.", "joy"),
            f("Absolutely love this {product}, it has made every morning easier.", "joy", "love"),
            f("Five stars without hesitation, it exceeded every expectation I had.", "joy", "surprise"),
            f("Brilliant build quality and it works flawlessly, I would buy it again in a heartbeat.", "joy", "trust"),
            f("This {product} is a delight, I've already ordered a second one for my sister.", "joy", "love")],
        2: [f("Really pleased with it, it does exactly what it says.", "joy", "trust"),
            f("Great value for the money and it feels sturdy.", "joy", "trust"),
            f("Works well and customer service answered my question within an hour.", "joy", "trust"),
            f("I'm very happy with the {product}, it has been reliable every day.", "joy", "trust"),
            f("Quiet, quick and easy to clean, which is all I wanted.", "joy")],
        1: [f("Pretty decent overall, a few small niggles but I'd keep it.", "joy"),
            f("Good enough for the price, though the cable could be longer.", "joy"),
            f("It does the job nicely, even if the buttons feel a little cheap.", "joy"),
            f("Mostly satisfied, and hopefully it holds up over time.", "optimism")],
        0: [f("It does the job. Nothing special, but fine for the price."),
            f("Average {product}, neither impressed nor disappointed."),
            f("It is a {product}. It works like the others I have had."),
            f("Does what the listing says, no more and no less.")],
        -1: [f("A bit disappointing, the battery lasts about half what was advertised.", "sadness"),
             f("Not great, the lid does not close properly and it rattles.", "disgust"),
             f("Slightly annoyed that it arrived with a scratch on the front.", "anger"),
             f("Works, but it is noisier than I expected and I doubt it will last.", "pessimism")],
        -2: [f("Really poor quality, the handle snapped within a month.", "anger", "disgust"),
             f("Very disappointed, it stopped charging after three weeks.", "sadness", "anger"),
             f("I regret buying this {product}, it has been nothing but trouble.", "sadness", "anger"),
             f("The seller ignored my complaint and the replacement is just as bad.", "anger", "disgust")],
        -3: [f("The {product} died after two weeks and support never answered my emails. Complete waste of money.",
               "anger", "disgust"),
             f("Absolute garbage, it melted the first time I used it and could have started a fire.",
               "anger", "disgust", "fear"),
             f("Worst purchase I have made in years, I am furious that {brand} still sells this.", "anger", "disgust"),
             f("Dangerous and badly made, it gave me a shock when I touched the casing.", "anger", "fear", "disgust")],
    },
    "movie review": {
        3: [f("A masterpiece, I left the cinema with tears of joy.", "joy", "love"),
            f("{actor} gives the performance of a lifetime and I adored every minute.", "joy", "love"),
            f("Breathtaking from the first shot to the last, easily the best film of the year.", "joy", "surprise"),
            f("I was completely swept away, a moving and beautiful film.", "joy", "love")],
        2: [f("A warm, funny film with a wonderful lead performance.", "joy"),
            f("Clever writing and gorgeous photography make it well worth seeing.", "joy"),
            f("It kept me gripped and the ending genuinely surprised me.", "joy", "surprise"),
            f("{actor} is terrific, and the film deserves a bigger audience.", "joy", "optimism")],
        1: [f("Enjoyable enough, though it drags a little in the middle.", "joy"),
            f("A solid if unremarkable drama with some lovely moments.", "joy"),
            f("Not perfect, but I had a good time and the cast seemed to as well.", "joy")],
        0: [f("It is a competent film that I neither liked nor disliked."),
            f("Some scenes work and some do not, and it evens out."),
            f("A standard genre piece; fans will know what to expect.")],
        -1: [f("A little dull, and the plot twists are easy to see coming.", "sadness"),
             f("It never quite comes together, which is a shame given the cast.", "sadness"),
             f("Overlong and slightly pleased with itself.", "disgust")],
        -2: [f("A tedious, muddled film that wastes a fine cast.", "disgust", "sadness"),
             f("I was bored within twenty minutes and checked my watch constantly.", "disgust"),
             f("The script is lazy and the jokes fall flat every time.", "disgust", "anger")],
        -3: [f("An insult to the audience, the worst film I have seen in a decade.", "anger", "disgust"),
             f("Unwatchable; I walked out and want my money back.", "anger", "disgust"),
             f("A cynical, ugly mess that made me angry to have paid for it.", "anger", "disgust")],
    },
    "news": {
        3: [f("Rescuers pulled all {n} miners out alive after a week underground, to cheers from waiting families.",
              "joy", "surprise"),
            f("The hospital announced that the new treatment cleared the infection in every patient in the trial.",
              "joy", "optimism"),
            f("Crowds celebrated in {city} as the team won its first national title in half a century.", "joy")],
        2: [f("Unemployment in {city} fell to its lowest level in a decade, the statistics office said.",
              "joy", "optimism"),
            f("{company} will open a new plant creating {h} hundred jobs, officials said.", "joy", "optimism"),
            f("Volunteers restored the flooded park, which reopened to visitors on {day}.", "joy"),
            f("A missing hiker was found safe and well after two nights on the hill.", "joy")],
        1: [f("Inflation eased slightly last month, offering modest relief to households.", "optimism"),
            f("Talks between the two sides were described as constructive.", "optimism"),
            f("The museum reported a small rise in visitor numbers this summer.", "joy")],
        0: [f("{org} published its annual budget on {day}."),
            f("The minister will visit {city} next week to discuss rail investment."),
            f("{company} reported quarterly revenue in line with analysts' forecasts."),
            f("The committee will review the planning application in June.")],
        -1: [f("Growth slowed in the third quarter, raising concern about the months ahead.", "pessimism"),
             f("Commuters faced delays after a signal fault near {city}.", "anger"),
             f("The school will close one of its two libraries because of budget cuts.", "sadness")],
        -2: [f("{company} will cut {h} hundred jobs, leaving workers anxious about the winter.",
               "fear", "sadness", "pessimism"),
             f("Residents are angry after the water supply failed for the third time this month.", "anger"),
             f("Flooding forced hundreds of families from their homes in {city}.", "fear", "sadness")],
        -3: [f("At least {n} people were killed when a bus plunged into a river near {city}.", "sadness", "fear"),
             f("Police said the attack on the crowded market was deliberate, and the city is in mourning.",
               "sadness", "fear", "anger"),
             f("Families wept as the names of the victims of the factory fire were read out.", "sadness")],
    },
    "editorial": {
        3: [f("This is a rare case of government getting something exactly right, and it deserves praise.",
              "joy", "trust"),
            f("The reform is a triumph of patient, evidence-led policy, and the city will be better for it.",
              "joy", "optimism", "trust")],
        2: [f("{thing} is a sensible step, and we expect it to pay off within a few years.", "optimism", "trust"),
            f("Credit where it is due: the plan is well designed and honestly costed.", "trust", "joy"),
            f("There is reason for hope; the early results are encouraging.", "optimism")],
        1: [f("{thing} is a modest improvement, though it will not fix everything.", "optimism"),
            f("On balance the plan is worth a try, provided it is reviewed after a year.", "optimism")],
        0: [f("Whether {thing} works will depend on details not yet published."),
            f("Both sides make fair points, and the evidence so far is thin."),
            f("The question is less whether to act than how quickly.")],
        -1: [f("We doubt {thing} will deliver what its supporters promise.", "pessimism"),
             f("The plan is muddled and its costs are understated.", "pessimism", "disgust")],
        -2: [f("{thing} is a costly mistake that will hurt the people it claims to help.", "anger", "pessimism"),
             f("Ministers have been careless with public money, and voters should be angry.", "anger", "disgust"),
             f("The decision shows contempt for the residents who will live with the consequences.",
               "anger", "disgust")],
        -3: [f("This is a disgraceful betrayal, and those responsible should resign.", "anger", "disgust"),
             f("The cover-up is shameful, and public trust will take years to recover.",
               "anger", "disgust", "pessimism")],
    },
    "forum post": {
        3: [f("Finally got it working after days of trying, I'm so happy I could cry. Thank you all!",
              "joy", "love"),
            f("Just finished my first marathon, I still can't believe it, this community got me here!",
              "joy", "surprise", "love")],
        2: [f("Thanks everyone for the tips, the new setup works great.", "joy", "trust"),
            f("Really glad I found this forum, people here are so helpful.", "joy", "trust"),
            f("Got my first decent loaf of {hobby} bread, pretty proud of it.", "joy")],
        1: [f("Things are slowly improving with {hobby}, small steps but steps.", "optimism", "joy"),
            f("The update fixed most of my issues, a few quirks left.", "joy")],
        0: [f("Does anyone know if the spring meetup is still happening?"),
            f("Which version should I install for an older machine?"),
            f("Is there a guide somewhere for the basics of {hobby}?"),
            f("What time does the shop on the high street open on Sundays?")],
        -1: [f("Kind of frustrating that the update reset all my settings.", "anger"),
             f("Not sure I'm getting any better at {hobby}, feeling a bit stuck.", "sadness", "pessimism")],
        -2: [f("I'm fed up, the app crashes every time I open it and nobody replies to tickets.", "anger", "disgust"),
             f("Really worried, my dog hasn't eaten for two days and the vet is closed.", "fear", "sadness"),
             f("Lost all my saves after the update, I'm gutted.", "sadness", "anger")],
        -3: [f("I can't stand this anymore, the moderators delete every post that criticises them. Pathetic.",
               "anger", "disgust"),
             f("My brother passed away last week and I don't know how to get through the days.", "sadness",
               "pessimism")],
    },
    "chat message": {
        3: [f("OMG we got the flat!!! so happy", "joy", "surprise"),
            f("Can't wait for the concert next week, counting down the days!!", "joy", "anticipation"),
            f("love you so much, best birthday ever", "joy", "love")],
        2: [f("thanks for dinner, had a lovely time", "joy", "love"),
            f("passed my driving test :)", "joy"),
            f("looking forward to seeing you on {day}!", "joy", "anticipation")],
        1: [f("sounds good, see you later", "joy"),
            f("nice, thanks", "joy"),
            f("hopefully the weather holds for the weekend", "optimism")],
        0: [f("ok"), f("running 10 min late"), f("what time is it on {day}?"), f("can you send me the address"),
            f("I'm at the station"), f("the meeting is at 3")],
        -1: [f("ugh train delayed again", "anger"),
             f("bit tired today tbh", "sadness"),
             f("not sure this will work out", "pessimism")],
        -2: [f("really annoyed they cancelled last minute", "anger"),
             f("I'm so nervous about the interview tomorrow", "fear", "anticipation"),
             f("feeling pretty low today", "sadness")],
        -3: [f("Walking home alone after midnight and someone has been following me for three blocks", "fear"),
             f("I can't believe you lied to me again. We're done.", "anger", "disgust", "sadness"),
             f("just got the call, grandad died this morning", "sadness")],
    },
    "mixed genre": {
        3: [f("It was, without doubt, the happiest morning of her life, and she laughed at everything.", "joy"),
            f("Dearest Anna, your letter filled me with such joy that I read it aloud to the whole house.",
              "joy", "love")],
        2: [f("The garden had come back after the frost, and he felt quietly glad.", "joy", "optimism"),
            f("I have always admired the patience of good teachers.", "trust", "love"),
            f("We are delighted to accept your kind invitation.", "joy")],
        1: [f("The soup was better than expected, and the rain had stopped.", "joy"),
            f("There is, I think, some reason to hope the argument can be repaired.", "optimism")],
        0: [f("The committee met on the first Tuesday of each month."),
            f("Chapter three describes the method in more detail."),
            f("She put the kettle on and sat down by the window.")],
        -1: [f("The house felt emptier than she remembered.", "sadness"),
             f("I am afraid the argument does not survive the second objection.", "pessimism")],
        -2: [f("He read the letter twice and then tore it up, his hands shaking with rage.", "anger"),
             f("The dark stairwell smelled of damp, and something moved below her.", "fear"),
             f("I regret to inform you that your application has been unsuccessful.", "sadness")],
        -3: [f("When they told her, she sank to the floor and could not stop sobbing.", "sadness"),
             f("The screams from the cellar went on all night, and nobody dared open the door.", "fear")],
    },
}

# More sentences per domain and class, merged into POOLS (kept apart so the first pools read easily).
MORE: dict[str, dict[int, list[Frag]]] = {
    "product review": {
        3: [f("I'm genuinely in love with this {product}, it's the nicest thing I've bought all year.",
              "joy", "love"),
            f("Wow. I did not expect it to be this good, and it still works perfectly after a year.",
              "joy", "surprise")],
        2: [f("Solid, well made and it arrived faster than promised.", "joy", "trust"),
            f("My old one broke and this is a clear upgrade, I'm pleased.", "joy"),
            f("I'd recommend {brand} to anyone, the quality is consistently good.", "trust", "joy")],
        1: [f("Fine for occasional use, and the colour is nicer than in the photos.", "joy"),
            f("It's okay, a decent little {product} once you get used to the controls.", "joy")],
        0: [f("Received the {product}. Haven't used it enough yet to say much."),
            f("It matches the description. I will update this review after a month."),
            f("Three stars: it works, the packaging was plain, delivery took a week."),
            f("Bought as a replacement for an identical one.")],
        -1: [f("Meh. The app that goes with it is clunky and logs me out constantly.", "anger"),
             f("Smaller than I thought, and I'm not convinced it was worth the price.", "pessimism"),
             f("The finish started peeling after a month, which is a bit disappointing.", "sadness")],
        -2: [f("Returned it. It leaked from day one and made a mess of the counter.", "anger", "disgust"),
             f("Stopped working after the first wash and {brand} refuses to honour the warranty.", "anger"),
             f("Really frustrating, it loses the connection every few minutes.", "anger")],
        -3: [f("Do not buy. It caught fire on the second day and I'm scared to think what could have happened.",
               "fear", "anger"),
             f("A total scam, the {product} that arrived is a cheap copy and the seller vanished.",
               "anger", "disgust")],
    },
    "movie review": {
        3: [f("Pure joy from start to finish, I want to see {movie} again tonight.", "joy", "love", "anticipation"),
            f("An astonishing, generous film; the final scene left the whole audience applauding.", "joy", "surprise")],
        2: [f("{movie} is smart, tender and often very funny.", "joy"),
            f("A well-crafted thriller that kept me guessing until the end.", "joy", "anticipation"),
            f("{actor} has never been better, and the supporting cast matches her.", "joy")],
        1: [f("Worth a look on a quiet evening, especially for the lovely score.", "joy"),
            f("Uneven, but the second half is strong enough to carry it.", "optimism")],
        0: [f("{movie} is exactly the film the trailer promises."),
            f("Whether you like it will depend on your patience for slow dramas."),
            f("The film is in French with English subtitles.")],
        -1: [f("Pretty but hollow; I forgot most of it by the next morning.", "sadness"),
             f("The middle hour meanders and the ending is rushed.", "disgust"),
             f("I wanted to like {movie} more than I did.", "sadness")],
        -2: [f("A dreary slog with characters I couldn't care less about.", "disgust"),
             f("{actor} deserves far better than this clumsy, joyless script.", "disgust", "anger"),
             f("Two hours of shouting and noise that left me with a headache.", "anger", "disgust")],
        -3: [f("Offensive, stupid and boring, a genuinely hateful piece of filmmaking.", "anger", "disgust"),
             f("The most miserable evening I've spent in a cinema; avoid at all costs.",
               "disgust", "anger", "sadness")],
    },
    "news": {
        3: [f("Doctors say the conjoined twins are recovering well after a successful twenty-hour operation.",
              "joy", "optimism"),
            f("The long-awaited peace agreement was signed on {day}, and people danced in the streets of {city}.",
              "joy", "optimism")],
        2: [f("A local charity raised twice its target to rebuild the youth centre.", "joy", "optimism"),
            f("Air quality in {city} has improved markedly since the new rules, a study found.", "joy", "optimism"),
            f("The rescued dolphin was released back into the sea on {day}.", "joy")],
        1: [f("Ticket sales for the festival are slightly ahead of last year.", "optimism"),
            f("House prices rose modestly, giving sellers some confidence.", "optimism"),
            f("The repaired bridge reopened a week ahead of schedule.", "joy")],
        0: [f("Voters in {city} go to the polls on {day} to elect a new mayor."),
            f("The central bank left interest rates unchanged at its {day} meeting."),
            f("{org} said it would publish the consultation results in the spring."),
            f("The trial is expected to last {n} weeks."),
            f("The new timetable takes effect from the first of next month.")],
        -1: [f("Retail sales dipped for the second month in a row.", "pessimism"),
             f("The opening of the new station has been delayed until next year.", "sadness"),
             f("Critics said the budget does little for renters.", "anger")],
        -2: [f("Police are investigating a string of break-ins that has left neighbours frightened.", "fear"),
             f("Shares in {company} plunged after it admitted misleading investors.", "fear", "anger"),
             f("Parents reacted with fury after the council closed the town's only swimming pool.", "anger"),
             f("The drought has destroyed much of this year's harvest, farmers say.", "sadness", "pessimism")],
        -3: [f("An earthquake flattened villages across the region, and rescuers fear hundreds are dead.",
               "fear", "sadness"),
             f("A child was killed and {n} people were injured when a car drove into pedestrians in {city}.",
               "sadness", "fear", "anger")],
    },
    "editorial": {
        3: [f("For once the council has listened, and the result is a plan residents can be proud of.",
              "joy", "trust", "optimism")],
        2: [f("The early figures are heartening, and the scheme deserves the chance to grow.", "optimism"),
            f("It is good news that {thing} was handled openly and with care.", "joy", "trust"),
            f("We welcome the decision; it is brave, overdue and well argued.", "joy", "trust")],
        1: [f("There are flaws, but the direction is broadly right.", "optimism"),
            f("The compromise on {thing} is imperfect yet better than the status quo.", "optimism")],
        0: [f("The cost of {thing} is estimated at somewhere between two and four million."),
            f("The next step is a public consultation, which opens in the spring."),
            f("Readers will find the full proposal on the council's website."),
            f("Three questions will decide whether {thing} survives the next election.")],
        -1: [f("The plan is timid and unlikely to change much.", "pessimism"),
             f("It is hard to see who {thing} is really for.", "pessimism"),
             f("The government's case for {thing} is weaker than it claims.", "pessimism")],
        -2: [f("Once again the people who can least afford it are being asked to pay.", "anger"),
             f("This half-baked scheme will cost far more than anyone has admitted.", "anger", "pessimism"),
             f("The handling of {thing} has been arrogant and incompetent.", "anger", "disgust")],
        -3: [f("The minister's lies are an affront to every family who lost someone, and he must go.",
               "anger", "disgust"),
             f("It is a scandal that children were left in danger while officials covered their backs.",
               "anger", "disgust", "fear")],
    },
    "forum post": {
        3: [f("Update: the surgery went perfectly and I'm home! Thank you all for the kind messages.",
              "joy", "love", "trust"),
            f("Best day ever, I got accepted into the programme and I'm over the moon!", "joy", "surprise")],
        2: [f("Big thanks to whoever posted the guide, it solved my problem in five minutes.", "joy", "trust"),
            f("Really enjoying {hobby} these days, it's become the best part of my week.", "joy"),
            f("Excited for the meetup next month, see you all there!", "joy", "anticipation")],
        1: [f("Some progress at last, I think I'm finally getting the hang of {hobby}.", "optimism", "joy"),
            f("Not a bad week overall, the new routine seems to help.", "optimism")],
        0: [f("Can someone explain the difference between the two settings?"),
            f("Where do I find the log files on a Mac?"),
            f("Has anyone here tried the evening course in {city}?"),
            f("Quick question: do I need a permit for this?"),
            f("Which brand of rope do people use for beginners?")],
        -1: [f("Bit disappointed the event was moved online, but I understand why.", "sadness"),
             f("Slightly worried my knee still hurts after running, should I take a break?", "fear"),
             f("I keep making the same mistake and it's getting annoying.", "anger")],
        -2: [f("My landlord kept the whole deposit for a flat I left spotless. So angry right now.", "anger"),
             f("I've been feeling really lonely since moving to {city}.", "sadness"),
             f("Scared to go back to work after what happened, I can't sleep.", "fear")],
        -3: [f("I've lost my job, my flat and now my partner has left. I don't see the point anymore.",
               "sadness", "pessimism"),
             f("Absolutely disgusted that someone stole the donations box from the shelter.", "anger", "disgust")],
    },
    "chat message": {
        3: [f("SHE SAID YES!!!", "joy", "surprise", "love"),
            f("got the job!!! celebrating tonight", "joy")],
        2: [f("miss you, can't wait to see you", "love", "anticipation", "sadness"),
            f("great news about your exam, well done!", "joy"),
            f("that was so fun, let's do it again soon", "joy")],
        1: [f("cool, works for me", "joy"),
            f("haha fair enough", "joy"),
            f("should be fine, fingers crossed", "optimism")],
        0: [f("on my way"), f("which platform?"), f("call you after lunch"), f("the code is 4417"),
            f("where did you park"), f("k"), f("I'll bring the charger"), f("what's the wifi password")],
        -1: [f("meh, not feeling the party tonight", "sadness"),
             f("forgot my keys again", "anger"),
             f("bit worried about the weather for {day}", "fear")],
        -2: [f("honestly so fed up with this job", "anger", "disgust"),
             f("can't stop crying, today was awful", "sadness"),
             f("there's a weird noise downstairs and I'm home alone", "fear")],
        -3: [f("I hate you for what you did", "anger", "disgust"),
             f("please come to the hospital, it's bad", "fear", "sadness")],
    },
    "mixed genre": {
        3: [f("My dear friend, nothing in years has made me as happy as the news of your recovery.", "joy", "love"),
            f("The children ran shrieking into the sea, and she thought she had never seen anything so lovely.",
              "joy", "love")],
        2: [f("Thank you for your generous help; it has made all the difference to our work.", "joy", "trust"),
            f("The essay argues, persuasively, that small libraries still matter.", "trust", "optimism"),
            f("Spring came early that year, and with it a new confidence.", "joy", "optimism")],
        1: [f("It was a modest house, but they were content there.", "joy"),
            f("The evidence, though incomplete, points in a hopeful direction.", "optimism")],
        0: [f("The second objection concerns the definition of a household."),
            f("He caught the 7.40 to {city} and read the paper."),
            f("The letter ended with the usual greetings to the family."),
            f("The term began on the first Monday of September.")],
        -1: [f("The plan, I fear, rests on assumptions that are hard to defend.", "pessimism"),
             f("She missed the old town more than she had expected.", "sadness")],
        -2: [f("The silence after the shot was worse than the noise.", "fear"),
             f("I was deeply disappointed by the board's decision and its tone.", "sadness", "anger"),
             f("He could not forgive the insult, and the thought of it burned in him for weeks.", "anger")],
        -3: [f("The funeral was small, and her mother did not speak a word all day.", "sadness"),
             f("Something was scratching at the inside of the coffin lid.", "fear", "disgust")],
    },
}
for _domain, _classes in MORE.items():
    for _v, _frags in _classes.items():
        POOLS[_domain][_v].extend(_frags)

NEUTRAL_INFO = [
    "The package arrived on Tuesday.",
    "The library opens at nine on weekdays and at ten on Saturdays.",
    "Water boils at 100 degrees Celsius at sea level.",
    "The meeting has been moved to room {n}B.",
    "Please submit the form by the end of the month.",
    "The museum is closed on public holidays.",
    "Trains to {city} leave every half hour from platform two.",
    "The recipe calls for two eggs, a cup of flour and a pinch of salt.",
    "To reset the device, hold the power button for ten seconds.",
    "The population of {city} was last counted in the 2021 census.",
    "The report has {n} chapters and an appendix of tables.",
    "Parking is available behind the building.",
    "The course runs for {n} weeks and meets on {day} evenings.",
    "Invoices are sent on the first working day of each month.",
    "The bridge is about 400 metres long and carries two lanes of traffic.",
    "Bus route 12 is diverted via Station Road until further notice.",
    "Mercury is the closest planet to the Sun.",
    "The form asks for your name, address and date of birth.",
    "Office hours are listed on the department's web page.",
    "The software update includes changes to the settings menu.",
    "Refunds are processed within five working days.",
    "Rooms on the third floor are numbered from 301 to 340.",
    "The glossary at the end defines the technical terms.",
    "Add the onions and cook for five minutes, stirring occasionally.",
    "The minutes of the previous meeting were approved without changes.",
    "The file must be saved as a PDF before upload.",
    "Photosynthesis converts light energy into chemical energy.",
    "The tournament is held every four years.",
    "Visitors should sign in at reception.",
    "The quarterly report covers April to June.",
    "ok",
    "noted",
    "See attached.",
    "The next stop is {city} Central.",
    "Item {n} on the agenda is the annual budget.",
    "Tickets can be collected from the machine in the station foyer.",
    "The dataset has one row per household and one column per question.",
    "The road will be resurfaced between {day} and the following weekend.",
    "The manual covers installation, maintenance and troubleshooting.",
    "Each ticket admits one adult.",
    "The river flows north for about {n} kilometres before reaching the coast.",
    "A kilometre is a thousand metres.",
    "The survey was carried out between May and July.",
    "Press the green button to start the cycle.",
    "The conference takes place in {city} on {day} and the day after.",
    "Your order number is printed at the top of the receipt.",
    "The exhibition features about {n} paintings from private collections.",
    "Lunch will be served in the main hall at half past twelve.",
    "The city's tram network has three lines.",
    "Batteries should be recycled separately from household waste.",
    "The vote was scheduled for {day} afternoon.",
    "Instructions for the new printer are on the shared drive.",
]


def fill(text: str, chosen: dict[str, str]) -> str:
    """Fill slots with one value per slot for the whole text, so a review names one product throughout."""
    for key, value in chosen.items():
        text = text.replace("{" + key + "}", value)
    return text


def choose(rng: random.Random) -> dict[str, str]:
    return {key: rng.choice(values) for key, values in SLOTS.items()}


def split_of(item_id: str) -> str:
    return "calib" if hashlib.sha256(item_id.encode()).digest()[0] % 2 == 0 else "check"


def compose(domain: str, valence: int, rng: random.Random, long: bool) -> tuple[str, list[str]]:
    pool = POOLS[domain][valence]
    filler = FILLER.get(domain, [])
    n_main = rng.randint(2, 3) if long else rng.choice([1, 1, 1, 2])
    mains = rng.sample(pool, min(n_main, len(pool)))
    n_fill = rng.randint(5, 8) if long else rng.choice([0, 0, 1])
    fills = rng.sample(filler, min(n_fill, len(filler))) if filler else []
    # Filler first (context), then the evaluative sentences, the way people write reviews and reports;
    # for long texts one evaluative sentence opens and the rest close, so truncation drops some but not all.
    if long and len(mains) > 1:
        sentences = [mains[0][0], *(s for s in fills), *(m[0] for m in mains[1:])]
    else:
        sentences = [*fills, *(m[0] for m in mains)]
    sep = " " if domain != "chat message" else ", "
    chosen = choose(rng)
    text = sep.join(fill(s, chosen) for s in sentences)
    emotions = sorted({e for m in mains for e in m[1]})
    return text, emotions


def build(rng: random.Random) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for line in HANDWRITTEN.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        rows.append({"id": r["id"], "domain": r["domain"], "split": split_of(r["id"]), "text": r["text"],
                     "valence": r["valence"], "emotions": r["emotions"]})
    handwritten = {d: sum(r["domain"] == d for r in rows) for d in POOLS}
    classes = [-3, -2, -1, 0, 1, 2, 3]
    weights = [1, 2, 2, 3, 2, 2, 1]  # neutral overrepresented: the check reports neutral behaviour per domain
    seen = {str(r["text"]) for r in rows}  # no text twice in the file, across domains too
    for domain in POOLS:
        k = 0
        while k < PER_DOMAIN - handwritten[domain]:
            v = rng.choices(classes, weights)[0]
            long = domain in ("product review", "movie review", "news", "editorial") and rng.random() < 0.3
            text, emotions = compose(domain, v, rng, long)
            if text in seen:
                continue  # the pools are finite; draw again rather than repeat a text
            seen.add(text)
            k += 1
            item_id = f"{domain.replace(' ', '-')}-{k:03d}"
            rows.append({"id": item_id, "domain": domain, "split": split_of(item_id), "text": text,
                         "valence": v, "emotions": emotions})
    k = 0
    for _ in range(PER_DOMAIN * 20):
        if k >= PER_DOMAIN:
            break
        a = fill(rng.choice(NEUTRAL_INFO), choose(rng))
        text = a if rng.random() < 0.5 else a + " " + fill(rng.choice(NEUTRAL_INFO), choose(rng))
        if text in seen or text.startswith(("ok ", "noted ")):
            continue
        seen.add(text)
        k += 1
        item_id = f"neutral-{k:03d}"
        rows.append({"id": item_id, "domain": "neutral", "split": split_of(item_id), "text": text,
                     "valence": 0, "emotions": []})
    return rows


def main() -> None:
    rows = build(random.Random(SEED))
    with OUT.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} items to {OUT}")


if __name__ == "__main__":
    main()
