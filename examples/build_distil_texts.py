# ruff: noqa: E501
"""Build examples/distil-texts.jsonl: unlabelled text for distilling the student from a stronger teacher.

The tweet-trained student misreads reviews, review sentences, news, editorials, forum posts, chat and
mixed-genre prose. A teacher labels these texts, so they carry no labels. Everything below was written
for this project by its team (same licence as the repository): no sentence comes from a dataset, a web
page or another file, and every name, product, film, book, app, hotel, team and place is made up.

The material is whole hand-written sentences, fragments and passages, grouped by domain and tone
(strongly / mildly positive, neutral, mixed, mildly / strongly negative). The script composes them into
longer reviews, posts, letters and reports, fills name slots such as ``{film}`` or ``{place}`` from
invented pools, drops duplicates by normalised text, and writes the file deterministically (fixed
seed, domains interleaved so any prefix of the file is balanced across domains):

    python examples/build_distil_texts.py [--out examples/distil-texts.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
SEED = 20261201
OUT = Path(__file__).resolve().parent / "distil-texts.jsonl"
PER_DOMAIN = 430
PER_DOMAIN_MAX = 450
LONG_WORDS = (100, 300)

# Tones, used only to steer composition and to report coverage; the file carries no labels.
POS2, POS1, NEU, MIX, NEG1, NEG2 = "pos-strong", "pos-mild", "neutral", "mixed", "neg-mild", "neg-strong"
TONES = (NEG2, NEG1, NEU, MIX, POS1, POS2)


def _lines(block: str) -> tuple[str, ...]:
    """One sentence or fragment per non-empty line."""
    return tuple(s.strip() for s in block.strip().splitlines() if s.strip())


def _passages(block: str) -> tuple[tuple[str, ...], ...]:
    """Passages separated by blank lines, one sentence per line."""
    return tuple(_lines(p) for p in re.split(r"\n\s*\n", block.strip()) if p.strip())


#: Tone marks: a marked line starts with one (``-- The worst hotel...``), a marked passage with ``@`` and one.
MARKS = {"++": POS2, "+": POS1, "=": NEU, "~": MIX, "-": NEG1, "--": NEG2}


def _marked_lines(block: str) -> tuple[tuple[str, str], ...]:
    """(tone, sentence) for lines that start with a tone mark."""
    out = []
    for line in _lines(block):
        mark, _, text = line.partition(" ")
        out.append((MARKS[mark], text.strip()))
    return tuple(out)


def _marked_passages(block: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(tone, passage) for passages whose first line is ``@`` and a tone mark."""
    out = []
    for p in _passages(block):
        if not p[0].startswith("@"):
            raise ValueError(f"passage without a tone mark: {p[0][:40]!r}")
        out.append((MARKS[p[0][1:]], p[1:]))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------
# Invented names for the slots. Any likeness to a real product, person or place is unintended.
# ---------------------------------------------------------------------------------------------------

SLOTS: dict[str, tuple[str, ...]] = {
    "name": _lines("""
        Maren
        Tobias
        Aisha
        Kofi
        Lucia
        Dev
        Ingrid
        Mateo
        Priya
        Owen
        Hana
        Rafael
        Zoe
        Ibrahim
        Nell
        Yusuf
        Greta
        Teodor
        Amara
        Felix
        Saoirse
        Jun
        Leila
        Bram
        Odile
        Caspian
        Wren
        Milo
        Rosa
        Anders
        Bea
        Tariq
        Ffion
        Luca
        Imogen
        Sami
    """),
    "surname": _lines("""
        Holloway
        Achterberg
        Okafor
        Lindqvist
        Marescu
        Quarrie
        Brannigan
        Szabo
        Ferrand
        Ashdown
        Vellacott
        Thorne
        Kimura
        Rasmussen
        Penhallow
        Oduya
        Castellan
        Whitlock
        Moravec
        Delaney-Ruiz
        Tremayne
        Aziz
        Hallstrom
        Pryce
    """),
    "place": _lines("""
        Port Minnow
        Calder Vale
        Ashby Fen
        Linden Cross
        Saltmere
        Greywater
        Harrowmere
        Oakhollow
        Brackenridge
        Kestrel Point
        Marrowby
        Fennick
        Stillwater Quay
        Dunmore Heath
        Corrin Bay
        Tarrow
        Northgate Mills
        Lowfield
        Amberleigh
        West Ossory
        Pellingford
        Rookhaven
    """),
    "abroad": _lines("""
        Verasca
        Montelune
        Castel Brisa
        Sorrel Key
        Ostrel
        Kallisa
        Drummore Glen
        San Arvo
        Lake Ommen
        Valdreth
        Porto Celin
        Zamirah
    """),
    "brand": _lines("""
        Hallvard
        Brisco
        Quillon
        Norrick
        Vestaline
        Aumbry
        Pernway
        Tavish
        Orlo
        Cindermark
        Lumbrook
        Quenby
        Corvel
        Kelso & Finch
        Brightmere
        Ostwick
        Nimbra
        Fallowby
    """),
    "model": _lines("""
        X40
        Aero 300
        Pro 2
        S7
        Mini
        Max 900
        Lite
        V12
        One
        Classic 5
        Series 3
        Halo
        T-200
        Compact
        Edge
    """),
    "appliance": _lines("""
        vacuum
        air fryer
        dishwasher
        kettle
        washing machine
        blender
        toaster
        coffee machine
        robot vacuum
        microwave
        dehumidifier
        fan heater
        stand mixer
        fridge freezer
        tumble dryer
        rice cooker
        steam iron
        slow cooker
        cordless stick vacuum
        tower fan
    """),
    "gadget": _lines("""
        headphones
        laptop
        phone
        tablet
        smartwatch
        bluetooth speaker
        TV
        router
        e-reader
        webcam
        monitor
        keyboard
        mouse
        camera
        earbuds
        power bank
        soundbar
        printer
    """),
    "food": _lines("""
        coffee beans
        granola
        hot sauce
        olive oil
        dark chocolate
        instant ramen
        loose-leaf tea
        pasta sauce
        protein bars
        sourdough loaf
        peanut butter
        oat milk
        frozen dumplings
        spice blend
        crisps
        honey
        kimchi
        breakfast cereal
    """),
    "restaurant": _lines("""
        Lantern Noodle Bar
        The Copper Pot
        Casa Albero
        Mira's Kitchen
        The Salted Gull
        Ember & Oak
        Little Saffron
        The Blue Ladle
        Pho Harbour
        Nonna Viola's
    """),
    "hotel": _lines("""
        the Harbourlight Hotel
        Hotel Corvina
        the Larkspur Inn
        the Old Mill Lodge
        Casa Ventana
        the Grand Ostrel
        the Meridale
        Brackenridge House
        the Seaglass Hotel
        the Tollgate Inn
        Hotel Palomar Verde
    """),
    "app": _lines("""
        Fernwise
        Nestnote
        Trailmint
        Quillo
        Tallybird
        Habitdeck
        Parcelpal
        Moodmoss
        Sleeptide
        Routewren
        Pantryful
        Lumenly
        Coinjar
        Stepstone
    """),
    "book": _lines("""
        A Ledger of Small Fires
        The Weight of Tuesday
        Harbour of Lost Letters
        Nine Ways to Leave Fennick
        The Beekeeper's Almanac
        Under the Copper Moon
        What the River Kept
        The Patient Astronomer
        Salt and Static
        A Field Guide to Leaving
        The Glassblower's Debt
        Orchard of Quiet Hours
        Fathom
        The Lamplighter Accounts
    """),
    "author": _lines("""
        Miriam Castellane
        Oren Lisle
        Beatrix Hollis
        Tomasz Wren
        Adaeze Nwosu
        Pell Garrity
        Judith Amsel
        Rafe Conlan
        Sunniva Dahl
        Ezra Mbatha
    """),
    "film": _lines("""
        The Salt Orchard
        Ninth Lantern
        Glass Meridian
        A Winter for Wolves
        Tin Harbour
        Paper Comets
        The Quiet Cartographer
        Redline Summer
        Hollow Bells
        Lanterns Over Kell
        The Long Division
        Brass Orchid
        Cold Verandah
        Night Ferry to Ostrel
        The Marigold Protocol
        The Understudy's Wife
        Saltwater Psalm
        Dogstar Motel
        Kingdom of Small Hours
        The Fifth Tenant
        Orbit of Crows
        Sundial Road
        Anvil Heart
        The Lighthouse Accord
        Tinfoil Crown
        Gutter Saints
    """),
    "actor": _lines("""
        Dara Quill
        Marcus Vell
        Ines Albarran
        Theo Wrenfield
        Lotte Sandgren
        Jude Okoro
        Callum Reyes
        Noor Haddad
        Elise Montray
        Ruben Castor
        Saffron Leigh
        Pieter Hald
        Yara Bellweather
        Conor Ashgrove
    """),
    "director": _lines("""
        Agnes Morrow
        Kwame Asante-Bell
        Lena Ostrowski
        Hugo Bellamy
        Rina Takeda
        Sol Amundsen
        Marguerite Vance
        Desmond Olu
    """),
    "company": _lines("""
        Hallvard Industries
        Norrick Rail
        Corvel Pharmaceuticals
        Saltmere Water
        Pernway Logistics
        Aumbry Foods
        Brisco Motors
        Vestaline Energy
        Kestrel Air
        Lumbrook Bank
        Ostwick Telecom
        Fallowby Homes
    """),
    "team": _lines("""
        Port Minnow Rovers
        Calder Vale Athletic
        Saltmere Harriers
        Greywater United
        Rookhaven Town
        Linden Cross Wanderers
    """),
    "day": _lines("""
        Monday
        Tuesday
        Wednesday
        Thursday
        Friday
        Saturday
        Sunday
    """),
    "weekday": _lines("""
        Monday
        Tuesday
        Wednesday
        Thursday
        Friday
    """),
    "month": _lines("""
        January
        February
        March
        April
        May
        June
        July
        August
        September
        October
        November
        December
    """),
    "time": _lines("""
        9
        10:30
        noon
        1
        2:15
        3
        4:30
        5
        6
        7:45
        8
        half 7
    """),
    "pet": _lines("""
        dog
        cat
        rabbit
        old cat
        rescue dog
        parrot
        guinea pig
    """),
    "rel": _lines("""
        sister
        brother
        mum
        dad
        best friend
        partner
        flatmate
        cousin
        grandmother
        boss
    """),
    "n": tuple(str(k) for k in (2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 18, 20)),
    "big": tuple(str(k) for k in (40, 65, 120, 180, 240, 310, 450, 600, 850, 1200, 2400, 3100)),
    "pct": tuple(str(k) for k in (1.5, 2, 3, 4.2, 6, 8, 11, 12.5, 15, 18, 22, 30)),
    "price": tuple(str(k) for k in (12, 19, 24, 35, 49, 60, 79, 99, 129, 180, 249, 320)),
    "score": tuple(f"{a}-{b}" for a, b in ((1, 0), (2, 1), (3, 2), (0, 0), (2, 2), (4, 1), (3, 0), (1, 1))),
    "stars": ("one", "two", "three", "four", "five"),
}

_SLOT = re.compile(r"\{(\w+?)(\d?)\}")


def fill(template: str, rng: random.Random) -> str:
    """Fill ``{slot}`` and ``{slot2}``: the same name within one text, a different one for the numbered twin."""
    chosen: dict[tuple[str, str], str] = {}
    used: dict[str, set[str]] = {}

    def pick(m: re.Match[str]) -> str:
        key = (m.group(1), m.group(2))
        if key not in chosen:
            pool = [v for v in SLOTS[key[0]] if v not in used.setdefault(key[0], set())]
            chosen[key] = rng.choice(pool)
            used[key[0]].add(chosen[key])
        return chosen[key]

    return _SLOT.sub(pick, template)


def fill_all(parts: Sequence[str], rng: random.Random, sep: str = " ") -> str:
    """Join parts and fill their slots together, so a name is the same across the sentences of one text."""
    return fill(sep.join(parts), rng)


# ---------------------------------------------------------------------------------------------------
# Product reviews: appliances, electronics, books, food, hotels, apps
# ---------------------------------------------------------------------------------------------------

PRODUCT: dict[str, dict[str, tuple[str, ...]]] = {
    "appliance": {
        POS2: _lines("""
            This vacuum really sucks up everything, including the cat hair I had given up on.
            Honestly the best {appliance} I have ever owned, and I have owned a few.
            The {brand} {model} has changed my mornings. Coffee is ready before I am out of the shower.
            I was sceptical about air fryers but this one makes chips crispier than the oven ever did. Obsessed.
            Whisper quiet. I ran the dishwasher during a video call and nobody noticed a thing.
            The suction on this thing is ridiculous in the best way. It pulled grit out of the rug I didn't know was there.
            Ten out of ten. The kettle boils a full jug in under two minutes and switches off cleanly every time.
            Bought it for my mum and she phoned me specifically to say thank you. That never happens.
            My old washing machine sounded like a jet engine. This one hums. I could cry.
            Bread came out with a proper crust on the very first try. Delighted with this machine.
            Built like a tank and looks lovely on the counter. Worth every penny.
            The robot vacuum maps the whole flat and never once got stuck under the sofa. Genuinely impressive.
            I have recommended this blender to everyone at work. Smoothies are silky, not a single fleck of kale left.
            The dehumidifier pulled two litres out of the air on day one and the musty smell is finally gone.
            Five years on and it still works like the day I unboxed it.
        """),
        POS1: _lines("""
            Does what it says on the box. Heats quickly and cleans up easily.
            A solid little {appliance} for the price.
            Not bad at all for a budget model. The controls are simple and it has not let me down yet.
            Pretty happy with it so far, though it has only been a couple of weeks.
            Fits neatly in a small kitchen, which was the main thing I needed.
            The toaster browns evenly on both sides, which my last one never managed.
            Decent suction, light enough to carry upstairs, and the bin is easy to empty.
            It is not the fastest, but the results are consistent and that matters more to me.
            I wouldn't say it's beautiful, but it works well and that is what I paid for.
            Good value. The timer is handy and the beeps are not too loud.
            The fan is quieter than I expected on the lowest setting, so it can stay on at night.
            Replaced a much pricier model with this and honestly I can't tell the difference.
            Setup took ten minutes and the manual was actually readable.
        """),
        NEG1: _lines("""
            It works, but the cord is far too short to reach the socket by the counter.
            A bit louder than I hoped, and the lid rattles when it gets going.
            The filter needs cleaning constantly, which gets old fast.
            Fine for small loads. Anything bigger and it struggles.
            Looks nicer in the photos than on my counter, to be honest.
            The buttons are stiff and the display is hard to read from an angle.
            The bin is tiny, so I am emptying it halfway through every room.
            Takes forever to heat up. I usually give up and use the hob.
            Not as powerful as the reviews suggested. I am a little disappointed.
            The steam iron leaks a few drops onto the shirt if you tilt it. Annoying rather than a disaster.
            Perfectly average. I won't be buying another from this brand, but I won't return it either.
        """),
        NEG2: _lines("""
            This vacuum sucks, and not in the good way. It pushes crumbs around the floor and calls it cleaning.
            Stopped working after three weeks. Customer service has ignored four emails. Avoid.
            The {appliance} caught fire. Actual smoke in my kitchen. I am never buying {brand} again.
            Absolute rubbish. The seal leaked on the first wash and flooded the utility room.
            Returned it the next day. The smell of burning plastic would not go away.
            Mould in the water tank after a month, even though we emptied it daily. Disgusting.
            The motor screams like it is in pain. My dog hides every time I switch it on.
            Paid premium money for a machine that cannot toast two slices evenly. What a joke.
            It tripped the fuse every single time we used it. An electrician says the plug was wired badly. Scary.
            Broke on day two and the warranty process is a maze designed to make you quit. Furious.
            The robot vacuum got stuck under the same chair nine times in one afternoon, then drove into the dog bowl.
            Cheaply made, flimsy hinges, and the glass jug cracked the first time I poured boiling water into it.
        """),
        MIX: _lines("""
            Great suction, terrible battery life. I get about twelve minutes before it dies.
            The coffee is excellent, but cleaning the milk frother is a small daily nightmare.
            Cooks rice perfectly; the non-stick coating started peeling within two months though.
            Love the design, hate the app you need to use half of its features.
            Powerful and fast, but so loud that I can only use it when the kids are out.
            The fridge keeps things cold and the ice maker is clever, but the door handle snapped off.
            It washes well; the spin cycle makes the whole floor shake, which is less charming.
            Brilliant once you learn it, though the first week was a fight with the manual.
            The mixer itself is fantastic. The attachments they sell separately are a rip-off.
        """),
        NEU: _lines("""
            The {brand} {model} {appliance} arrived in two boxes; assembly took about twenty minutes.
            Capacity is 1.7 litres and there is a water level window on both sides.
            It has three heat settings and a cool-shot button.
            The dishwasher has six programmes, including a 30-minute quick wash.
            Bought to replace a ten-year-old model that finally stopped heating.
            The filter is removable and the manual says to rinse it weekly.
            Power is 2,200 watts and the cable is about 90 centimetres long.
            It comes with a crevice tool, a brush head and a wall bracket.
            The drum is eight kilograms and the maximum spin speed is 1,400 rpm.
            Dimensions are roughly 30 by 20 by 35 centimetres, so measure your cupboard first.
            The machine uses standard pods and a 1.2-litre water tank.
            Delivery was on a Thursday and the old unit was taken away at the same time.
        """),
    },
    "electronics": {
        POS2: _lines("""
            These headphones are killer. The bass hits hard without drowning the vocals.
            The noise cancelling is witchcraft. I could not hear the engines on a six-hour flight.
            Best laptop I have owned. Boots in seconds, silent under load, and the battery lasts a full workday and then some.
            The screen on this tablet is so sharp that I keep finding excuses to watch things on it.
            Crystal clear calls, all-day battery, and it survived being dropped down the stairs. I love this phone.
            The speaker is tiny and somehow fills the whole garden with sound. Absolutely blown away.
            My new router fixed every dead spot in the house. The kids think I am a wizard.
            The camera's autofocus nailed every shot of my daughter's football match. Over the moon.
            Typing on this keyboard is pure joy. Every key feels crisp and deliberate.
            The e-reader's screen is so easy on the eyes that I read until two in the morning without noticing.
            The earbuds fit perfectly, stay put on runs, and the case charges in no time. Flawless.
            This monitor made my cramped home office feel like a proper studio.
        """),
        POS1: _lines("""
            Solid sound for the price, if you do not expect audiophile quality.
            The watch tracks steps and sleep well enough, and the strap is comfortable.
            Good picture, easy setup, and the remote is simple enough for my dad.
            Battery life is decent, roughly a day and a half with normal use.
            Not bad for a budget webcam. I look less like a potato in meetings now.
            The mouse is light and responsive. Nothing fancy, but it does the job.
            Charges my phone twice on one fill, which covers a weekend away.
            I was worried the build would feel cheap, but it is surprisingly sturdy.
            The soundbar is a clear step up from the TV speakers, dialogue especially.
            Works straight out of the box with my laptop. No drivers, no fuss.
            The printer is slow, but the prints are clean and it has not jammed once.
        """),
        NEG1: _lines("""
            The battery drains quicker than advertised, maybe six hours rather than ten.
            Sound is fine but the ear cushions get hot after an hour.
            The touch controls are too sensitive; I keep pausing music by adjusting my hair.
            Picture quality is okay, but the menus are sluggish and full of adverts.
            A bit heavy for a laptop marketed as portable.
            The charging port feels loose already, which worries me.
            The keyboard is fine, but the backlight is uneven on the left side.
            Connection drops now and then, usually in the middle of a call.
            The watch face scratches easily. Mine looks tired after a month.
            Speakers are tinny at anything above half volume.
        """),
        NEG2: _lines("""
            The phone overheats just running maps. It burned my hand in the car holder. Unacceptable.
            Dead pixel on arrival, and the replacement had two. I give up.
            The earbuds disconnect every few minutes. I have never been so irritated by a piece of plastic.
            After the latest firmware update the router reboots itself every hour. Completely useless.
            The laptop's hinge cracked within six months of gentle use and they are calling it accidental damage. A scam.
            The power bank swelled up like a balloon. I am genuinely frightened to keep it in the house.
            The camera app crashes every time I switch to video. Missed my son's first steps because of it. Gutted.
            Tinny, distorted, and the battery died after a week. Straight in the returns pile.
            The TV came with a cracked panel and the courier denied it. Two weeks and still no refund.
            The smartwatch told me I was asleep during a spin class. Data this bad is worse than no data.
        """),
        MIX: _lines("""
            Gorgeous screen, shame about the speakers.
            The camera is superb in daylight and muddy as soon as the sun goes down.
            Comfortable and great for podcasts, but the bass is thin for music.
            Fast, light and quiet, with a webcam that seems to be from 2009.
            The tablet itself is lovely. The keyboard cover is overpriced and flimsy.
            Good battery, bad software. The hardware deserves better.
            Sound quality is excellent; the app that controls it is a mess.
            The monitor looks great once calibrated, but out of the box the colours are way too warm.
        """),
        NEU: _lines("""
            The {brand} {model} has a 6.1-inch screen, 128 GB of storage and a USB-C port.
            It ships with a charging cable but no plug.
            Bluetooth 5.3, rated for up to 30 hours of playback with noise cancelling off.
            I use it mainly for spreadsheets, video calls and the occasional photo edit.
            The monitor is 27 inches with a 144 Hz refresh rate and two HDMI inputs.
            Weight is 1.3 kilograms and the charger is 65 watts.
            The router supports Wi-Fi 6 and has four wired ports on the back.
            Bought during a sale; it replaced a four-year-old model from the same brand.
            The earbuds come with three sizes of tips and a wireless charging case.
            The keyboard connects over Bluetooth or a 2.4 GHz dongle and runs on two AAA batteries.
            Firmware updates install through the companion app on the phone.
            The printer handles A4 and photo paper and has a 150-sheet tray.
        """),
    },
    "book": {
        POS2: _lines("""
            I finished {book} at three in the morning and then lay awake thinking about it.
            {author} writes sentences you want to read aloud to someone. Stunning.
            The ending wrecked me in the best possible way. I have already bought copies for two friends.
            The plot is wildly unpredictable and every twist is earned.
            One of those rare novels that makes the world feel bigger when you close it.
            I laughed out loud on a packed train and did not care who saw.
            The characters felt like people I had known for years. I miss them already.
            A masterpiece of slow-burning dread. I checked the locks twice before bed.
            The best history book I have read in a decade: rigorous, generous and gripping.
            Pure comfort reading. Like a warm bath for the brain.
        """),
        POS1: _lines("""
            A pleasant, well-paced read, even if the middle sags a little.
            Not the author's best, but still better than most of what is on the shelves.
            Enjoyable. The dialogue is sharp and the chapters are short enough for commuting.
            I liked it more than I expected from the cover.
            A thoughtful book that asks good questions, though it does not always answer them.
            Solid four stars. The mystery holds up and the detective is good company.
            Clear and practical. I have already used two of the recipes twice.
            Gentle, funny and a bit sad. A nice book for a rainy weekend.
        """),
        NEG1: _lines("""
            It took me three attempts to get past the first fifty pages.
            The premise is clever, but the characters never quite come alive.
            Too long by about a hundred pages.
            The twist was visible from the blurb.
            The writing is competent but forgettable; I could not tell you a single line from it.
            I wanted to like this more than I did.
            The self-help advice boils down to get up earlier, stretched over 300 pages.
            Good ideas buried under a lot of repetition.
        """),
        NEG2: _lines("""
            I have never been so angry at an ending. It undoes everything the book built.
            Lazy, smug and badly edited. Typos on nearly every page.
            The author clearly did no research. The historical howlers made me want to throw it across the room.
            A slog from start to finish. I only finished it out of spite.
            The way the book treats its female characters is frankly gross.
            Dull, preachy and padded. Save your money.
            The print quality is dreadful: pages falling out and ink that smudges on your fingers.
            It promises a thriller and delivers a shopping list of clichés.
        """),
        MIX: _lines("""
            Beautiful prose wrapped around a story that goes nowhere.
            The first half is brilliant; the second half reads like a different, worse book.
            Gripping plot, flat characters.
            I admired it more than I enjoyed it.
            Fascinating subject, dry delivery.
            The audiobook narrator is wonderful, which rescues a fairly ordinary novel.
        """),
        NEU: _lines("""
            {book} is the second book in {author}'s trilogy and can be read on its own.
            The hardback runs to 412 pages, with maps and a family tree at the front.
            The book follows three generations of a fishing family in {place}.
            I read the paperback edition; the audiobook is about eleven hours long.
            It is a collection of twelve short stories, most of them set in the same town.
            The book covers the years from 1890 to 1920 and includes an extensive bibliography.
            Bought as a gift for my nephew, who is studying this period at school.
            The recipes are organised by season, with a short chapter on pantry basics.
        """),
    },
    "food": {
        POS2: _lines("""
            This hot sauce is dangerously good. I have put it on eggs, noodles and, once, ice cream.
            The best coffee beans I have bought in years: chocolatey, smooth and not a trace of bitterness.
            {restaurant} served the kind of ramen you think about for days afterwards.
            I ordered the lamb and nearly wept. Perfectly pink, falling apart, with a sauce I would drink.
            The granola is so good that I have to hide it from myself.
            Every dumpling was plump, juicy and perfectly pleated. Best takeaway in {place}, no contest.
            This olive oil tastes of cut grass and pepper. Once you try it, the supermarket stuff is ruined.
            The staff at {restaurant} remembered my daughter's allergy from our last visit. We will be back forever.
            Hands down the best chocolate I have ever eaten. Dark, fruity, with a snap like a twig.
            The pastries were still warm and the almond croissant was ridiculous. Pure happiness in a paper bag.
        """),
        POS1: _lines("""
            Tasty and filling, and the portion sizes are fair for the price.
            Nice tea, gentle and floral. Good for the afternoon.
            A decent pasta sauce for a weeknight. I add garlic and it is great.
            The crisps are crunchy and not too salty. Bag gone in a day, which says something.
            Friendly service and a cosy room. The food was good, if not memorable.
            The peanut butter is a bit runny but tastes properly of peanuts.
            Solid neighbourhood place. The curry was warming and generous.
            The oat milk froths well in coffee, which is all I ask.
        """),
        NEG1: _lines("""
            Too sweet for my taste. I had to cut it with plain yoghurt.
            The noodles were fine but the broth needed salt.
            A bit pricey for what you get.
            The spice blend is mostly paprika. Pleasant, but not what the label suggests.
            Service was slow and the chips arrived lukewarm.
            Tastes a little stale, like it has been sitting in a warehouse.
            The portion looked generous in the photos; in real life it was half the size.
            Perfectly edible, entirely forgettable.
        """),
        NEG2: _lines("""
            Found a hair baked into the loaf. Revolting.
            The chicken was pink in the middle and I was ill all night. Never again.
            We waited ninety minutes for cold food and the manager shrugged at us.
            The honey is clearly bulked out with syrup. I feel cheated.
            The kimchi jar arrived swollen and fizzing. It went straight in the bin.
            Rude staff, sticky tables, and a burger that tasted of the fridge.
            The cereal tastes like sweetened cardboard. My kids refused it, and they eat anything.
            The sushi smelled off before we even opened the box. Disgusting and dangerous.
        """),
        MIX: _lines("""
            Wonderful food, unbearable noise.
            The mains were excellent; the desserts were clearly bought in.
            Delicious, but the packet is mostly air.
            The beans are great as espresso and sour as filter coffee.
            Great flavour, odd texture. I am still deciding.
            The brunch is fantastic if you can survive the forty-minute queue.
        """),
        NEU: _lines("""
            The bag is 500 grams and has a resealable zip.
            {restaurant} opens at noon on weekdays and takes bookings for groups of six or more.
            Ingredients: oats, honey, sunflower seeds, almonds and dried apple.
            We ordered two starters, two mains and a shared dessert.
            The tea comes in a tin of 100 grams, enough for about forty cups.
            The menu changes weekly and there are always two vegetarian options.
            Best before date was about three months from delivery.
            The sauce contains sesame and is made in a factory that handles nuts.
        """),
    },
    "hotel": {
        POS2: _lines("""
            {hotel} is the kind of place that makes you start planning your next visit before you leave.
            The view from our room over the harbour was so beautiful that we skipped dinner to watch the sunset.
            Staff upgraded us for our anniversary without being asked and left a handwritten card. We were so touched.
            Spotless room, the comfiest bed I have ever slept in, and breakfast worth getting up for.
            I travel for work every week and this is the first hotel that felt like home.
            The spa alone is worth the trip. I came out a different person.
            When my flight was cancelled the night manager found me a room in a fully booked hotel. Above and beyond.
        """),
        POS1: _lines("""
            Clean, quiet and close to the station. Exactly what I needed for a short stay.
            A good base for exploring {place}. The room was small but well designed.
            Friendly check-in and a decent breakfast. Would stay again.
            The pool was smaller than the photos suggested, but warm and never crowded.
            Comfortable enough, and the price was fair for the location.
            Nothing fancy, but the shower was hot and the wifi actually worked.
        """),
        NEG1: _lines("""
            The room was fine but the walls are thin. I heard every word next door.
            Breakfast was basic: toast, a few pastries and lukewarm coffee.
            The location is further from the centre than the website implies.
            Air conditioning was noisy and the blinds did not quite block the light.
            Check-in took forty minutes because only one person was on the desk.
            Decent enough, but overpriced for a room that needs a refresh.
        """),
        NEG2: _lines("""
            Bedbugs. We left at two in the morning and are still waiting for a refund.
            The bathroom had black mould round the bath and a smell I can still remember.
            They lost our booking, charged our card anyway and refused to admit it. Outrageous.
            A building site next door started drilling at seven every morning and the hotel did not warn anyone.
            The worst night's sleep of my life. Drunk guests shouting in the corridor until four and nobody came.
            Someone had clearly used the towels before us. We were disgusted.
            The photos must be from twenty years ago. Peeling paint, broken lift, filthy carpets.
        """),
        MIX: _lines("""
            Gorgeous old building, tired rooms.
            The staff were lovely, which made up for a bed that sagged in the middle.
            Amazing location, awful breakfast.
            The rooftop bar is a delight; the rooms below it are noisy until midnight.
            Great value in winter. In August it is overpriced and packed.
        """),
        NEU: _lines("""
            We stayed three nights in a double room on the second floor.
            Check-in is from 3 pm and check-out is at 11 am.
            {hotel} has 48 rooms, a small gym and parking for about twenty cars.
            Breakfast is served from 7 to 10 in the ground-floor restaurant.
            The hotel is a ten-minute walk from the old town and five minutes from the tram stop.
            There is a lift, and two rooms are adapted for wheelchair users.
            Pets are allowed in some rooms for an extra charge per night.
        """),
    },
    "app": {
        POS2: _lines("""
            {app} is the only budgeting app that has ever stuck for me. I have saved more this year than in the last five.
            Clean, fast, and no adverts. I would happily pay twice the price.
            The latest update fixed every gripe I had. Whoever is building this, thank you.
            This app got me through a really hard winter. The daily check-ins kept me going.
            Syncing between phone and laptop is instant and it has never lost a single note.
            Finally a recipe app that does not bury the recipe under a life story. I love it.
            The offline maps saved us on a mountain with no signal. Genuinely grateful.
        """),
        POS1: _lines("""
            Does the job. The interface is tidy and the reminders are not too pushy.
            Useful little app, though it took me a while to find the settings.
            Works well most of the time, with the odd slow load.
            Good free version. I might upgrade if they add a dark mode.
            Simple and reliable for tracking my runs.
            Pleasant design and it does not drain the battery, which is more than I can say for most.
        """),
        NEG1: _lines("""
            Since the update the widgets keep disappearing.
            It is fine, but the free tier is so limited it is basically a trial.
            Too many notifications by default. I spent ten minutes turning them off.
            The search is slow once you have more than a few hundred entries.
            Login asks for a code every single time, which gets tedious.
            Nice idea, clunky execution.
        """),
        NEG2: _lines("""
            Charged me for a year after I cancelled my trial. Support sends copy-paste replies. Furious.
            The update deleted three months of my journal entries. I feel sick.
            Adverts every two taps, including full-screen videos that will not close. Uninstalled.
            Crashes on launch. Every time. For a week now.
            It asks for my contacts, location and microphone to show me a to-do list. Creepy and unacceptable.
            They moved every useful feature behind a subscription overnight. Shameless.
        """),
        MIX: _lines("""
            Lovely design, unreliable sync.
            Great features, greedy subscription.
            The app is excellent on iPhone and half-broken on Android.
            Helpful when it works; the bugs make it hard to trust.
        """),
        NEU: _lines("""
            Version 4.2 adds a calendar view and export to CSV.
            The app is free with an optional subscription for cloud backup.
            It needs Android 10 or later and about 80 MB of space.
            You can sign in with an email address or a phone number.
            Data is stored locally unless you switch on sync in the settings.
            The app is available in eleven languages.
        """),
    },
}

PRODUCT_OPENERS = _lines("""
    I bought this after my old {appliance} finally gave up.
    Bought this for my {rel}'s birthday and ended up using it myself.
    I have been using it daily for about three months now.
    I read a lot of reviews before choosing this one, so here is mine.
    I do not usually write reviews, but I felt I had to for this.
    Quick update after six months of use.
    Some context: I live in a small flat with two cats and very little counter space.
    We booked this for a long weekend in {place}.
    I ordered this on a whim during a sale.
    This was a replacement for a much more expensive model.
    My partner picked this one, and I was sceptical.
    I have tried most of the alternatives, so I have something to compare it with.
    First, the basics.
    Long review, sorry.
    Arrived a day early, well packed.
    I came to this after a friend kept going on about it.
""")

PRODUCT_CLOSERS = {
    POS2: _lines("""
        Highly recommended.
        Would buy again in a heartbeat.
        Five stars, no hesitation.
        Cannot recommend it enough.
        Best purchase I have made this year.
        If you are on the fence, just get it.
    """),
    POS1: _lines("""
        Four stars.
        Recommended, with small caveats.
        Happy enough with it overall.
        Good value for what it is.
        I would buy it again.
    """),
    MIX: _lines("""
        Three stars: good, not great.
        I am keeping it, but with some reservations.
        Worth it on sale, less so at full price.
        Your mileage may vary.
        Overall, a mixed bag.
    """),
    NEG1: _lines("""
        Two stars.
        I expected better.
        Probably would not buy it again.
        Not terrible, just disappointing.
        There are better options for the money.
    """),
    NEG2: _lines("""
        One star, and only because zero is not allowed.
        Avoid.
        Returned for a refund.
        Save your money.
        Never again.
        I regret this purchase.
    """),
    NEU: (),
}

PRODUCT_SPECS = _lines("""
    {brand} {model} {appliance}. Power: 1,800 W. Colour: graphite. Warranty: 2 years.
    {brand} {model} {gadget}, 256 GB, midnight blue. Box contents: device, cable, quick start guide.
    Model {model}. Input 100-240 V. Weight 2.4 kg. Made in 2025.
    {brand} {appliance}, model {model}: 4 speed settings, dishwasher-safe parts, 1.5 m cable.
    Pack of 6 x 250 g {food}. Store in a cool, dry place.
    {brand} {gadget} ({model}). Battery: 5,000 mAh. Charging: USB-C, 25 W. Water resistance: IP54.
    Dimensions (H x W x D): 85 x 60 x 60 cm. Energy class: B. Noise: 42 dB.
    {app} for iOS and Android. Requires an account. In-app purchases.
    Room type: double. Bed: 160 cm. Floor: 3. Non-smoking. Breakfast included.
    {book} by {author}. Paperback, 320 pages. Published by Harrow Lane Books.
""")

# ---------------------------------------------------------------------------------------------------
# Movie reviews (paragraph-length user reviews)
# ---------------------------------------------------------------------------------------------------

MOVIE_OPENERS = _lines("""
    I went into {film} knowing nothing except that {actor} was in it.
    I watched {film} last night on the strength of the trailer.
    My friends dragged me to {film} and I fully expected to hate it.
    I have waited two years for {film}, so my expectations were sky high.
    Caught {film} at a late showing with maybe six other people in the cinema.
    I am a long-time fan of {director}, so I was always going to see this.
    Watched {film} on a flight, which is probably not how it was meant to be seen.
    I rarely write reviews, but {film} deserves one.
    After all the hype around {film}, I finally sat down with it this weekend.
    Saw this at a festival screening, with {director} there for a Q&A afterwards.
    I put {film} on as background noise while folding laundry and ended up glued to the screen.
    This is my second viewing of {film}, and it holds up.
    I rented {film} because nothing else looked interesting.
    Full disclosure: I loved the book this is based on.
""")

MOVIE_PLOT = _lines("""
    {film} follows a retired ferry captain who agrees to carry one last passenger across a frozen lake.
    The story centres on two estranged sisters who inherit a failing seaside cinema.
    {actor} plays a night-shift nurse who starts receiving letters from a patient who died years ago.
    The plot concerns a small-town election that turns very ugly very quickly.
    It is a heist film about a crew of pensioners robbing the bank that took their savings.
    The film is set over a single night in a motorway service station.
    A young cartographer is sent to map an island that does not appear on any chart.
    {actor} is a chef who loses her sense of taste a week before the restaurant opens.
    It is a science fiction story about the last crew of a failing orbital station.
    The setup is simple: a father and son drive across the country to scatter a stranger's ashes.
    Two rival magicians share a stage for a month and slowly destroy each other.
    A detective returns to the village where she grew up to investigate a drowning.
    A choir from a mining town enters a national competition against all odds.
    The film tracks a wedding day from the point of view of the catering staff.
    After a flood, a family has to share their house with the neighbours they have feuded with for years.
    It is a documentary about a man who has restored the same lighthouse for forty years.
    A teenage chess prodigy runs away from a tournament and spends three days hiding in the city.
    An android caretaker starts to suspect that the family it serves is not human either.
    A disgraced boxer takes a job training a priest for a charity fight.
    A radio presenter receives a call on air from someone claiming to be her future self.
""")

MOVIE_EVAL = {
    POS2: _lines("""
        {actor} gives the performance of a career here, and I say that having seen everything she has done.
        Every frame looks like a painting, but it never feels like a museum piece.
        The score swells in exactly the right places and I had goosebumps more than once.
        The last twenty minutes are among the most tense I have ever sat through.
        I cried twice and laughed more times than I can count.
        The dialogue crackles. You could quote half the script.
        {director} directs with such confidence that even the quiet scenes feel electric.
        The chemistry between the two leads is so natural you forget they are acting.
        It is funny, heartbreaking and genuinely surprising, sometimes in the same scene.
        I walked out of the cinema and immediately bought a ticket for the next showing.
        The ending is perfect. Not neat, not tidy, just right.
        Nothing is wasted: every small detail in the first act pays off later.
        The practical effects look incredible and give every crash and collapse real weight.
        The film trusts its audience, which is rarer than it should be.
        Even the smallest roles are cast with care; the old man at the petrol station nearly steals the film.
    """),
    POS1: _lines("""
        The performances are strong across the board, especially from {actor}.
        It looks lovely, with a warm palette that suits the story.
        The pacing is a little leisurely, but it never drags for long.
        The jokes mostly land and the cast clearly had fun.
        It is not reinventing anything, but it is well made and sincere.
        The soundtrack is full of well-chosen songs that I have been listening to since.
        A solid thriller with a couple of good twists.
        It is a gentle film, the kind you watch on a Sunday afternoon with a cup of tea.
        The middle section sags a bit, but the final act brings it home.
        I enjoyed spending time with these characters.
        Not bad at all for a film that came out with no publicity.
        I wouldn't call it a masterpiece, but I'd happily watch it again.
    """),
    MIX: _lines("""
        It looks gorgeous, but the script is paper thin.
        {actor} is wonderful, and deserved a better film around her.
        The first hour is brilliant; the second hour forgets what made it brilliant.
        The action scenes are thrilling, the dialogue scenes are a chore.
        I admired the ambition more than I enjoyed the result.
        The twist is clever, though the film spends too long getting there.
        Half of it is a sharp satire and half of it is a sentimental drama, and the halves never meet.
        The score is beautiful but used so heavily that it starts telling you what to feel.
        The ending will divide people. I am still not sure which side I am on.
        Great premise, uneven execution.
    """),
    NEG1: _lines("""
        The plot leans on coincidence a few too many times.
        At two and a half hours it is at least forty minutes too long.
        The villain has no real motive beyond the script needing one.
        The jokes are the kind you can see coming from the previous scene.
        The lead is miscast; he never convinces as a man with anything to lose.
        The editing is choppy, and I lost track of who was where during the chase.
        The CGI in the final battle looks unfinished.
        It is watchable, but I had forgotten most of it by the time I got home.
        The dialogue is stiff, full of characters explaining things they both already know.
        It is not terrible, just painfully ordinary.
    """),
    NEG2: _lines("""
        I have seen more convincing acting in a supermarket advert.
        The plot holes are big enough to drive a bus through, and the film seems to know it.
        Two hours of my life I will never get back.
        It is loud, ugly and so pleased with itself that it becomes unbearable.
        The way the film treats its only female character is embarrassing in this day and age.
        I laughed several times, and none of them were at the jokes.
        The ending is a cheap cop-out that insults everything before it.
        Half the audience walked out. The other half were asleep.
        A cynical cash grab wearing the skin of a film I used to love.
        Wow, another scene of people staring meaningfully at the sea. Riveting.
        Genuinely one of the worst films I have seen in a cinema, and I have seen a lot.
        I wanted my money back by the opening credits and my evening back by the end.
    """),
}

MOVIE_VERDICT = {
    POS2: _lines("""
        Go and see it on the biggest screen you can find. 10/10.
        An instant favourite. I will be thinking about it for weeks.
        Easily the best film of the year so far.
        A triumph. 9/10.
        Do not read anything else about it; just go.
    """),
    POS1: _lines("""
        Worth a watch. 7/10.
        A good night out, if not a great one.
        Recommended for a quiet evening in.
        Not perfect, but I am glad I saw it. 7 out of 10.
        A pleasant surprise.
    """),
    MIX: _lines("""
        A frustrating, fascinating mess. 5/10.
        Worth seeing once, but I will not rush back.
        I honestly cannot decide whether I liked it.
        Wait for it to come to streaming.
        Half a great film. 6/10.
    """),
    NEG1: _lines("""
        A disappointment. 4/10.
        Skip it unless you are a completist.
        Not the worst way to spend an evening, but close.
        Forgettable. 4 out of 10.
        I expected much more from this team.
    """),
    NEG2: _lines("""
        Avoid at all costs. 1/10.
        Do not waste your money.
        Truly dreadful. 2/10.
        I cannot think of a single person I would recommend this to.
        Awful. Just awful.
    """),
}

# Whole reviews, written as one piece so that every sentence is about the same product.
PRODUCT_WHOLE: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "appliance": _marked_passages("""
        @++
        I put off buying a robot vacuum for years because I assumed they were gimmicks. I was wrong.
        We have two long-haired cats and a toddler who treats food as confetti, so the floors were a constant battle.
        The {brand} {model} mapped the whole ground floor on its first run and now cleans every morning while we are out.
        It goes under the sofa, it finds its way back to the dock, and the app lets me mark the rug fringe as a no-go zone.
        The bin is small and needs emptying every day, but that takes ten seconds.
        The first time I came home to a clean kitchen floor without lifting a finger, I nearly hugged it.
        My partner has named it Kevin. Kevin is now part of the family.

        @--
        I have never written a review this angry, so apologies in advance.
        The {brand} washing machine was delivered on a {weekday} and installed by the retailer's own team.
        On its third wash, the door seal failed and about twenty litres of water poured across the kitchen floor and into the hallway.
        The laminate is ruined. The skirting boards are swelling.
        I called the manufacturer, who told me to call the retailer, who told me to call the manufacturer.
        Nobody has offered to come and look at it. Nobody has offered a refund.
        I have a family of five and no way of washing clothes except a launderette two bus rides away.
        Do not buy this machine, and do not buy anything from this company.

        @+
        A sensible, unglamorous kettle that does exactly what a kettle should.
        We drink a frankly alarming amount of tea in this house, so the kettle gets used fifteen or twenty times a day.
        Limescale is a problem in our area, and the filter in the spout catches most of it.
        It boils a full jug in a little over three minutes and a single cup in about forty seconds.
        The water window is easy to read, the lid opens wide enough to clean, and the switch has a satisfying click.
        It is not silent, but it is quieter than our old one, which sounded like a small aircraft.
        The only thing I would change is the cord, which is a little short for our awkward socket.
        For the price, I am very happy with it.

        @~
        Mixed feelings about this air fryer.
        On the plus side, it cooks brilliantly. Chips are crisp, chicken thighs come out juicy, and it heats up in a couple of minutes.
        It has also cut our electricity use noticeably, because we hardly turn the oven on now.
        Cleaning is easy, and the basket fits in the dishwasher, though the manual says to wash it by hand.
        On the minus side, the basket coating has started to flake after three months of careful hand washing.
        The display is hard to read in daylight, and the beeping is loud enough to wake the baby.
        I contacted the company about the coating and they offered a replacement basket for half price, which feels a little cheeky.
        I would buy an air fryer again without hesitation. I am less sure I would buy this one.

        @-
        The dehumidifier does pull water out of the air, I will give it that.
        But it is far louder than the listed figure suggests, more of a constant drone than a hum.
        We had hoped to run it overnight in the bedroom, and that is simply not possible.
        The tank is also smaller than I expected and fills up within a day in our damp flat, so it switches itself off while we are at work.
        The humidity readout also seems optimistic, showing fifty per cent when our separate meter says sixty-five.
        It is not broken, and it is doing a job.
        It is just not the job I bought it for.

        @++
        Bought this stand mixer after years of making bread by hand, and my wrists thank me every week.
        It is heavy, which I was warned about, but that means it does not walk across the counter when kneading dough.
        The bowl is generous enough for a double batch of cookies, and the whisk turns egg whites into stiff peaks in about two minutes.
        It is loud at the top speed, but I rarely need that.
        My children now ask to bake every weekend, which is either a blessing or a curse depending on who cleans up.
        If you bake regularly, it is worth every penny. It is the best thing in my kitchen.
    """),
    "electronics": _marked_passages("""
        @++
        I travel for work most weeks, and these headphones have changed those trips completely.
        The noise cancelling is genuinely astonishing: on a packed train I can hear almost nothing but my music.
        They are light enough to wear for a whole flight, and the ear cushions do not make my ears sweat.
        Battery life is excellent. I charge them on Sunday night and they last until Friday.
        Calls sound clear on both ends, even with a screaming baby three rows back.
        They are expensive, and I winced at the price.
        A year later, I would pay it again without a second thought.

        @--
        Avoid this laptop. I wish someone had told me.
        Within a month the trackpad started registering phantom clicks, opening windows and deleting text while I typed.
        The first repair took three weeks. It came back with a new scratch on the lid and the same fault.
        The second repair took four weeks. The trackpad was fixed, but now the fan runs at full speed all the time, even when the laptop is idle.
        Support keeps asking me to reinstall the operating system, which I have done twice.
        I needed this machine for my final year at university, and I have spent most of the year without it.
        I feel completely let down.

        @+
        A good, sensible phone for someone who does not want to spend a fortune.
        The screen is bright and sharp, and the battery comfortably lasts a day and a half.
        The camera is fine in good light and struggles indoors, which is what I expected at this price.
        It came with very little pre-installed junk, which was a nice surprise.
        The fingerprint sensor is quick and reliable.
        I did buy a case straight away, because the back is slippery and I am clumsy.
        Updates have arrived regularly so far, which matters to me more than an extra camera lens.
        If you mostly message, browse and take the odd photo of the dog, this is all you need.

        @~
        The smartwatch is lovely to wear and frustrating to use.
        It looks much more expensive than it was, and the strap is soft and comfortable even in bed.
        Step counting and heart rate seem accurate enough, and notifications arrive quickly.
        But the sleep tracking is nonsense: it regularly tells me I slept through nights when I was up with the baby.
        The companion app logs me out every few days and forgets my settings.
        Battery life is about four days, which is fine, although the charger is a fiddly magnetic puck that is easy to lose.
        I keep wearing it because I like how it looks. I just do not trust anything it says.

        @-
        The bluetooth speaker sounds decent for its size, but that is about all I can say for it.
        Pairing is fiddly, and it often connects to the last device instead of the one I am holding.
        The battery, advertised at twenty hours, gives me about eight at moderate volume.
        The rubber coating has become sticky after a summer in the garden.
        The buttons are also hard to feel in the dark, so I often skip a track when I meant to turn it down.
        On the plus side, it is properly waterproof and survived a fall into the paddling pool.
        It works, and I will keep using it until it dies.
        I would not buy it again.

        @=
        Bought this monitor for a home office setup with a work laptop.
        It is 27 inches, with a stand that adjusts for height and tilt but not rotation.
        It connects by USB-C, which also charges the laptop, so there is only one cable on the desk.
        There are two HDMI ports and a headphone socket on the back.
        The menu is controlled by a small joystick under the bottom edge.
        Out of the box I lowered the brightness and switched on the low blue light mode in the evenings.
        The box included a power cable, a USB-C cable and an HDMI cable, but no DisplayPort cable.
        It took about fifteen minutes to set up.
    """),
    "book": _marked_passages("""
        @++
        I do not usually read historical fiction, but a friend pressed {book} into my hands and refused to take it back.
        Thank goodness she did.
        {author} tells the story of a lighthouse keeper's daughter in the 1880s, and makes a small, isolated life feel enormous.
        The prose is spare and beautiful, and the storms are so vivid that I found myself reaching for a blanket.
        The last fifty pages had me reading in the bath until the water went cold.
        I have bought three copies for other people since.
        It is the best book I have read in years.

        @--
        I wanted to love {book}. The cover is gorgeous and the premise sounded brilliant.
        Sadly, it is a mess.
        The main character changes personality from chapter to chapter, the timeline makes no sense, and a major plot thread simply vanishes halfway through.
        The dialogue is painful. Nobody talks like this, not even in a fantasy world.
        And the ending, which I will not spoil, made me so cross I actually said something out loud on the bus.
        There is also a romance subplot that seems to exist only so that the cover can have two people on it.
        I cannot understand the glowing reviews. Did we read the same book?

        @+
        A gentle, funny novel about a retired postman who decides to visit every village he ever delivered to.
        I picked it up on a whim in a charity shop, mainly because I liked the drawing of a bicycle on the cover.
        Not much happens, and that is the point.
        {author} has a lovely ear for small-town gossip, and some of the minor characters are wonderfully drawn.
        It sags a little in the middle, when the postman's walk turns into a series of similar visits.
        But it picks up again for a warm, slightly sad ending.
        I found myself smiling on the bus more than once, and I got a bit teary in the last chapter, which surprised me.
        A nice book for a rainy weekend.

        @~
        {book} is two books stuck together, and only one of them is good.
        The first half, set in a boarding school in the 1960s, is sharp, funny and full of tension.
        The second half jumps forty years ahead and becomes a slow, repetitive story about inheritance.
        I kept hoping it would return to the school.
        It never does.
        The characters who were so vivid as teenagers become oddly flat as adults, as if the author lost interest in them.
        Some of the writing in the later chapters is still lovely, but it is hard to care.
        Read the first half, then imagine your own ending.

        @=
        {book} by {author} is a non-fiction account of the building of the great canal, published in hardback and ebook.
        I bought it for my father, who worked on the canal as a lock keeper in the 1970s.
        It runs to about 380 pages, including notes, a chronology and two maps.
        The chapters move in order through the survey, the digging and the opening.
        Each chapter ends with short biographies of the engineers involved.
        The book draws on letters and company records held in the county archive.
        There are about thirty black-and-white photographs, printed on glossy paper in two sections.
        An index of people and places is included at the back.
    """),
    "food": _marked_passages("""
        @++
        We have eaten at {restaurant} four times now and it has been wonderful every single time.
        The menu is short and changes with the seasons, which I always take as a good sign.
        Last night the highlight was a plate of roasted carrots with brown butter and hazelnuts that sounds boring and tasted like a revelation.
        The lamb was cooked perfectly, and the chocolate tart was the kind you scrape the plate for.
        The staff are warm without hovering and clearly love the food they are serving.
        It is not cheap, but it is worth every penny.
        We are already planning our next visit.

        @--
        We ordered a takeaway from {restaurant} on {day} night and I wish we had not.
        We had ordered from them before and it had been fine, so we were looking forward to it after a long week.
        It arrived an hour and twenty minutes late, stone cold, with the lid of the curry container half off and sauce all over the bag.
        The rice was hard, the naan was burnt on one side, and the chicken tasted of nothing at all.
        When I rang to complain, the man on the phone said it was busy and hung up on me.
        Both of us felt queasy the next morning.
        Never again. I would rather eat toast.

        @+
        Good coffee beans at a fair price.
        I have been buying them every month for about a year now, and the quality has been consistent.
        They are a medium roast, with notes of caramel and nuts rather than the fruity flavours that are fashionable at the moment.
        They work well in my bean-to-cup machine and in the cafetière.
        The bag has a valve and a zip, so they stay fresh for a couple of weeks after opening.
        Delivery is quick, and the subscription can be paused easily when we go away.
        Not the most exciting coffee I have tried, but a very reliable daily one.

        @~
        I have mixed feelings about this hot sauce.
        The flavour is fantastic: smoky, a little sweet, with a proper fruity chilli taste rather than just vinegar.
        But it is much, much hotter than the label suggests.
        The first time I used it I put a normal amount on my eggs and had to sit quietly for ten minutes.
        Now I use about three drops at a time, which means the bottle will last a year.
        My partner, who orders everything extra hot, declared it perfect and is now putting it on cheese toasties.
        Great if you love heat. Dangerous if you do not.

        @-
        The granola tastes nice enough, but it is far too sweet, and the clusters are mostly dust at the bottom of the bag.
        I bought it because it was on offer and the packaging promised a high-protein, low-sugar breakfast.
        The nutrition label tells a rather different story once you read the small print.
        The front of the packet makes a big deal of the nuts and dried fruit.
        In my bowl this morning I counted two almonds and a single, lonely raisin.
        It is fine sprinkled on yoghurt, where the sweetness matters less, but as a bowl of cereal it is hard work.
        For the price, I expected better. I will go back to making my own.
    """),
    "hotel": _marked_passages("""
        @++
        We stayed at {hotel} for our honeymoon, and I do not think we could have chosen better.
        From the moment we arrived, the staff made us feel like the only guests in the building.
        Our room looked over the bay, with a balcony big enough for breakfast, and the bed was enormous.
        One evening the manager recommended a tiny restaurant in the village that turned out to be the best meal of the trip.
        On our last day they left a bottle of local wine and a card signed by the whole team.
        We left feeling rested, spoiled and slightly tearful.
        We will be back for our first anniversary.

        @--
        I booked {hotel} for a conference, and it was the worst hotel experience I have had in twenty years of business travel.
        The room smelled of damp and cigarette smoke, even though it was supposedly non-smoking.
        There was hair in the shower, a stain on the pillow and a dead fly on the windowsill.
        The heating could not be turned down, so I slept with the window open over a busy road.
        Breakfast was a tray of cold eggs and grey sausages.
        When I complained, the receptionist shrugged and said all the rooms were like that.
        I believe her.

        @+
        {hotel} is a solid, reliable choice for a couple of nights in {place}.
        The rooms are on the small side but clean, quiet and well designed, with plenty of sockets and a decent shower.
        Breakfast has a good range of hot and cold options.
        The coffee is from a machine but is better than most hotel coffee.
        Staff at the desk were friendly and let us leave our bags after check-out while we explored.
        The location is the main selling point: two minutes from the station and ten from the old town.
        The bar is a little soulless, but there are plenty of better ones nearby.
        Would happily stay again.

        @~
        A hotel of two halves.
        The public spaces at {hotel} are gorgeous: a grand old lobby, a library with a fire and a garden full of roses.
        Afternoon tea in the library was one of the highlights of our trip.
        The staff, without exception, were kind and helpful.
        The rooms, however, badly need renovation.
        Our carpet was worn through in places, the bathroom fittings were loose, and the window did not close properly.
        If they sort the rooms out, this could be a wonderful place. For now, it is charming but frustrating.

        @=
        We stayed two nights at {hotel} in a family room with a double bed and two singles.
        Check-in was at 3 pm, and we were given a code for the car park at the back.
        The room had a kettle, a small fridge, a safe and a television with the main channels.
        Breakfast was served buffet-style between seven and ten.
        The hotel has a lift and a small bar that closes at eleven.
        It is about fifteen minutes' walk from the beach.
        There is a supermarket and a pharmacy on the same street.
        Late check-out can be requested at the desk and costs extra.
    """),
    "app": _marked_passages("""
        @++
        I have tried every habit tracker going, and {app} is the first one that has stuck.
        It is simple: you add a habit, tick it off each day, and watch a little plant grow.
        That sounds silly, but it works on me. I have walked every day for 142 days straight.
        There are no adverts, no dark patterns trying to upsell me, and the reminders are gentle rather than nagging.
        The developer replies to emails personally and added a feature I suggested within a month.
        I happily pay for the premium version to support them.
        Brilliant little app.

        @--
        {app} used to be great. The latest update has ruined it.
        Half the features I used every day are now locked behind a monthly subscription, including exporting my own data.
        The interface has been redesigned for no reason, and finding anything now takes three taps instead of one.
        The app crashes whenever I try to attach a photo.
        Worst of all, some of my older entries have vanished completely, and support has not replied in two weeks.
        I have used it for four years. I am deleting it today, and I feel cheated.

        @+
        A clean, useful app for splitting bills with flatmates.
        There are four of us in a house with one bathroom and a lot of shared shopping, so keeping track used to be chaos.
        You add expenses as you go and it works out who owes whom, which has ended a lot of awkward conversations in our house.
        The interface is clear and it syncs quickly between phones.
        The free version has a limit on the number of expenses per day, which occasionally gets in the way after a big shop.
        Settling up is easy, with a button that tells each person exactly how much to transfer to whom.
        Otherwise, it does exactly what it promises.

        @~
        {app} is a beautifully designed meditation app with a couple of annoying flaws.
        The sessions are calm and well recorded, and the narrators have lovely, unhurried voices.
        The sleep stories genuinely help me drift off.
        But the app is pushy about its subscription, with pop-ups before almost every session.
        It also drains my battery noticeably if I forget to close it.
        The free library is decent, but the best courses are all locked.
        I like it enough to keep using it, but I am not sure I like it enough to pay.

        @=
        {app} is a route planner for cycling and walking.
        You can search for a destination, choose between the fastest and the quietest route, and download maps for offline use.
        Routes can be exported as GPX files.
        Elevation profiles are shown for each route, and you can avoid steep climbs in the settings.
        There is an option to share your live location with a contact during a trip.
        The free version includes one offline region; more regions are part of the paid plan.
        It works on phones and tablets and asks for location access only while in use.
    """),
}

PRODUCT_UPDATES = {
    POS2: _lines("""
        Update after a year: still going strong, and I still love it.
        Six-month update: no problems at all. If anything I like it more now.
        Edit: bought a second one for my parents. They love it too.
    """),
    POS1: _lines("""
        Update after three months: still working well, with no new complaints.
        Edit: the company replied to my question within a day, which was nice.
    """),
    MIX: _lines("""
        Update: the company sent a replacement part without any fuss, which helps, but I should not have needed it.
        Six-month update: the good bits are still good and the annoying bits are still annoying.
    """),
    NEG1: _lines("""
        Update: it has got a little worse since I wrote this.
        Edit: still waiting for a reply from customer service.
    """),
    NEG2: _lines("""
        Update: it has now stopped working altogether. Refund refused.
        Edit: the company has responded to my review by offering a voucher for their own products. No thank you.
    """),
    NEU: _lines("""
        Edit: a couple of people asked about the size, so I have added the measurements above.
        Update: the price has gone up since I bought it.
    """),
}

MOVIE_EVAL_MORE = {
    POS2: _lines("""
        The long single take through the burning market left me breathless.
        {actor2} turns a three-minute scene into the emotional core of the whole film.
        I have not heard an audience gasp like that in years.
        It is the rare comedy that gets funnier the second time.
        The production design is so detailed that I want to move into the house.
        It is tender without being soft and angry without being shrill.
        The visuals are breathtaking; every frame seems to have been composed by hand.
        {director} has made a genre film that is secretly about grief, and it is devastating.
        By the end the whole row I was sitting in was in tears, including the man who had been checking his phone.
        This is what cinema is for.
        I did not expect a film this quiet to have me punching the air.
        The sound design alone deserves every award going.
    """),
    POS1: _lines("""
        It is a likeable film with its heart in the right place.
        The script is smarter than it first appears.
        The young cast are excellent, especially the newcomer in the second lead.
        It is nice to see a romance where the two leads actually talk to each other.
        The film looks expensive even though it clearly was not.
        A couple of scenes are genuinely scary, which is more than most horror films manage.
        It drags in places but the characters kept me invested.
        The final shot is simple and quietly moving.
        For a sequel, it is surprisingly fresh.
        It is modest and informative, and it never outstays its welcome.
    """),
    MIX: _lines("""
        The performances are better than the material.
        Every individual scene works; together they do not add up to much.
        I loved the look of it and could not have told you what it was about.
        It is a brave film that is also quite boring.
        Some of the jokes are inspired and some are painfully flat.
        It is too long and I would not cut a thing, which probably says something about me.
        Beautiful, slow and a little empty.
        It wants to be a thriller and a family drama and only manages to be half of each.
    """),
    NEG1: _lines("""
        The colour grading is so dark that I spent the night scene squinting.
        The romance subplot feels bolted on by a nervous studio.
        The music is generic and oddly cheerful for a film about loss.
        The second act repeats the first one almost beat for beat.
        A lot of talent wasted on a script that needed another draft.
        The big reveal is explained three times in case anyone missed it.
        It is competent and lifeless.
        The accents wander all over the map.
    """),
    NEG2: _lines("""
        The shaky camera made two people in my row feel sick, and honestly I understood.
        It mistakes cruelty for depth and noise for excitement.
        I have rarely felt so patronised by a film.
        The editing is so chaotic that the fight scenes are literally impossible to follow.
        Every character is unpleasant and none of them is interesting.
        I was bored out of my mind and then annoyed that I was bored.
        Oh good, another franchise film that is mostly an advert for the next one.
        The dialogue is so clunky that the audience laughed at the big emotional speech.
    """),
}

MOVIE_CHAR = _lines("""
    a widowed beekeeper
    a washed-up stand-up comedian
    a teenage radio pirate
    a man who has not spoken to his brother in a decade
    an ageing getaway driver
    a deaf sculptor
    a junior diplomat on her first posting
    a night bus driver
    a lonely lighthouse engineer
    a schoolteacher with a secret past
    a forger of old maps
    a retired opera singer
    a nervous young priest
    the youngest member of a family of travelling acrobats
    a bankrupt toy maker
    a border guard
    an insomniac translator
    a reluctant chess champion
    a smuggler's daughter
    a hospital porter
    a disgraced weather forecaster
    a shy ferry mechanic
""")

MOVIE_GOAL = _lines("""
    who tries to win back the house their father lost at cards
    who must get a stolen painting across the mountains before winter
    who discovers that the town's only doctor has been lying for years
    who agrees to look after a neighbour's strange child for one summer
    who is haunted by a song nobody else can hear
    who falls for the one person they are supposed to be investigating
    who takes a job on a whaling ship to escape a debt
    who wakes up every morning a day further into the past
    who is hired to find a missing dog and uncovers something much worse
    who sets out to walk the length of the country in a month
    who builds a rocket in a back garden to reach a dead mother's star
    who inherits a failing circus and a very angry bear
    who runs a tiny radio station during a blackout
    who has seven days to teach a hopeless choir to sing
    who tries to reunite a band that broke up in a fist fight twenty years earlier
    who starts receiving postcards from a town that flooded in the 1950s
    who must decide whether to testify against a sibling
    who becomes the unlikely caretaker of a royal swan
    who wins the lottery on the day the world is supposed to end
    who is mistaken for a famous surgeon on a cruise ship
""")

MOVIE_WHOLE = _marked_passages("""
    @+
    I really did not expect to like {film}. A musical about a tax office sounded like a joke someone made at a party.
    But {director} takes the idea completely seriously, and that is why it works.
    The songs are catchy without being silly, and {actor} sings like someone who has nothing left to lose.
    There is a number set in an archive room that is one of the most inventive things I have seen this year.
    It is too long, and a subplot about a rival office goes nowhere.
    Still, I came out humming, and my partner, who hates musicals, admitted he had a good time.
    Recommended, especially if you think you will hate it.

    @-
    {film} is a film that thinks it is much deeper than it is.
    Every scene is framed like a perfume advert, all mist and slow motion.
    The characters speak in riddles, and when they finally say something plain it is a cliché.
    {actor} tries hard, and there are moments where you can see the film it could have been.
    But by the time the third dream sequence began I was checking my watch.
    I know some critics loved it. I found it hollow.
    Four out of ten, all of them for the cinematography.

    @++
    Where do I start with {film}? Maybe with the fact that I have watched it three times in a week.
    It is a small story: a bakery, a family, a bad winter. Nothing explodes.
    Yet every scene feels alive, from the arguments over the accounts to the grandmother's terrible jokes.
    {actor} is extraordinary as the eldest daughter, a woman holding everything together by sheer stubbornness.
    The final scene, with the whole street queuing in the snow, had me in pieces.
    This is the kind of film people will still be finding in twenty years.
    Ten out of ten, and I do not give those lightly.

    @+
    A perfectly fine way to spend a rainy evening.
    {film} is a by-the-numbers detective story, but the cast are good company and the village setting is pretty.
    The mystery is easy to solve if you have seen any film like it, and I guessed the culprit in the first half hour.
    {actor} plays the detective with a dry wit that keeps things moving.
    It will not change your life, and it is not trying to.
    Six out of ten.

    @--
    I am so angry about {film}. The first film was funny, strange and full of heart.
    This sequel throws all of that away for endless car chases and product placement.
    The characters I loved are reduced to catchphrases, and one of them is killed off in a throwaway line.
    The new villain is a man in a suit who shouts. That is the whole character.
    The studio clearly did not trust the audience, so everything is explained twice and then shown again in a flashback.
    I left feeling like I had been sold something. Avoid.

    @+
    {film} is a documentary about a family who have run the same ferry for four generations.
    It is quiet and patient and sometimes very funny, especially when the grandfather argues with the tourists.
    There is no narrator, which means some scenes drift, but it lets the family speak for themselves.
    A section about the storm of 1987 is genuinely frightening, told through old home videos.
    By the end I felt like I knew these people, and I was sad to leave them.
    A lovely, modest film.

    @++
    Scariest film I have seen in years. I am not exaggerating.
    {film} starts slowly, with a couple moving into a farmhouse, and for a while it seems like a drama about a failing marriage.
    Then the sounds in the walls begin, and {director} never lets go of you again.
    There are almost no jump scares. The fear comes from waiting, from long shots of empty doorways.
    I slept with the lights on, and I am thirty-four years old.
    If you like horror that gets under your skin, this is essential.

    @~
    Let me be fair to {film}: the first hour is great.
    The setup is clever, the dialogue is sharp, and {actor} and {actor2} are a joy together.
    Then the plot takes a turn into a government conspiracy and everything falls apart.
    New characters appear from nowhere, the rules of the world change, and the ending contradicts the opening.
    It is like watching two different films stitched together by someone who liked neither.
    I would still recommend the first hour. Maybe leave when the helicopter shows up.

    @+
    My kids loved {film}, and honestly so did I.
    The animation is bright and bouncy, the jokes work on two levels, and there is a snail sidekick I would die for.
    The story about a lost balloon finding its way home is simple, but it has a real emotional punch near the end.
    My youngest cried, then laughed, then demanded we watch it again immediately.
    There are a few too many songs, and one of them goes on forever.
    But this is a family film that does not treat families like idiots. Four stars.

    @-
    I wanted to love {film}. The trailer was beautiful and the cast is incredible.
    Sadly the film is a slog. Scenes go on long after the point has been made, and the story barely moves.
    There are moments of real beauty, especially a sequence on a night train, but they are islands in a sea of nothing.
    I could feel the audience getting restless around the hour mark.
    It is not a bad film exactly. It is a tired one.
    Five out of ten, and I feel generous.

    @+
    {film} is a two-hour war film set almost entirely in one trench, and it is harrowing.
    {director} does not glamorise anything: the mud, the cold, the waiting and the sudden terror feel horribly real.
    The young cast are superb, especially {actor}, who barely speaks and says everything with his eyes.
    I did not enjoy watching it, and I do not think you are meant to.
    But I will not forget it, and I think everyone should see it once.

    @+
    Came for {actor}, stayed for the goat.
    I am only half joking. {film} is a daft farmyard comedy with a surprising amount of heart.
    The plot, about a city lawyer inheriting a smallholding, is exactly what you expect.
    But the jokes are quick, the locals are played by brilliant character actors, and the goat deserves an award.
    It is predictable from the first minute and I smiled the whole way through.
    Sometimes that is all you want from a film.

    @~
    I have a soft spot for disaster films, but {film} tested it.
    The effects are expensive and mostly convincing. The flood sequence in the underground is genuinely tense.
    Unfortunately the people are cardboard, and the script keeps stopping for speeches about the human spirit.
    By the fourth near-miss escape I stopped caring who survived.
    Good for switching your brain off. Bad for anything else.
""")

MOVIE_EVAL_EXTRA = {
    POS2: _lines("""
        The cinematography is staggering; every shot of the coastline looks like it was lit by a painter.
        {actor} has never been better, and I have been a fan for fifteen years.
        I cannot remember the last time a film made me laugh this hard.
        The final reveal recontextualises everything you have seen, and it made me want to start the film again immediately.
        It is a film full of kindness, and it never once feels saccharine.
        The score by a composer I had never heard of is going straight into my playlist.
        The fight choreography is so clean you can follow every punch.
        Somehow it manages to be scary, sad and funny without ever losing its footing.
        I was grinning from the opening titles to the end credits.
        A rare film that gets better every time you think about it.
        It made me call my dad the moment I left the cinema.
        Bold, original and completely confident in what it wants to be.
    """),
    POS1: _lines("""
        The supporting cast is strong, and {actor2} gets some of the best lines.
        It is a film with modest goals that it mostly achieves.
        The period details are lovely without being fussy.
        Some of the dialogue is a bit on the nose, but the actors sell it.
        It found its way under my skin more than I expected.
        The action is well staged and never confusing.
        I could have done with ten fewer minutes, but I was never bored.
        A nice surprise from a director I had written off.
        The young lead holds the screen well for a first-timer.
        It is warm, witty and a touch too long.
    """),
    MIX: _lines("""
        It has moments of real beauty and long stretches of nothing at all.
        {actor} is terrific in a role that the script keeps letting down.
        I enjoyed it while it was on and could barely remember it the next morning.
        The twist is great; the forty minutes before it are a slog.
        Lovely to look at, frustrating to sit through.
        The comedy works; the romance does not.
        It is a brave film, and bravery is not the same as quality.
        The cast are having much more fun than the audience.
    """),
    NEG1: _lines("""
        The pacing is so slow that the thriller elements never build any tension.
        It borrows heavily from better films and does not improve on any of them.
        The heroine makes decisions no sensible person would make, purely so the plot can continue.
        The humour is dated and a couple of jokes made the audience wince.
        It looks cheap, which would be fine if the script were any good.
        The sound mix buries half the dialogue under the music.
        The characters talk a lot and say very little.
        I did not hate it. I just do not see the point of it.
    """),
    NEG2: _lines("""
        A vile, nasty little film that mistakes shock for substance.
        The twist is so stupid that people around me burst out laughing.
        I cannot believe {actor} read this script and said yes.
        It is a two-hour advert for a toy line, and not even a good advert.
        The film treats its audience like idiots from the first scene to the last.
        The dialogue is so wooden you could build a shed out of it.
        By the end I was rooting for the villain.
        I would rather sit through my tax return than watch this again.
    """),
}

MOVIE_OPENERS_MORE = _lines("""
    Spoiler-free review, I promise.
    I only watched {film} because my flatmate would not stop talking about it.
    Long-time lurker, first review.
    Let me start by saying I am not usually a fan of {director}.
    I watched {film} with my teenage kids, which shaped my reaction somewhat.
    Having read the glowing reviews, I expected a lot from {film}.
""")

MOVIE_FACTS = _lines("""
    It runs just under two hours.
    It was shot in black and white, with almost no music.
    It is {director}'s third feature.
    The cast is made up mostly of first-time actors.
    It is based on a novel I have not read.
    It was shot on location over a single winter.
    It is the second film in a planned trilogy, though you do not need to have seen the first.
    The dialogue is partly in Portuguese with subtitles.
    It has a 15 certificate, mostly for language.
    {actor} also co-wrote the script.
    It premiered at a festival last spring and has only just reached cinemas.
    It is a remake of a film from the 1970s.
    The runtime is a brisk 88 minutes.
    It is available to stream now as well as in cinemas.
    The score was written by a jazz pianist in his first film job.
    Most of it was filmed with handheld cameras.
    It is told in three chapters, each from a different point of view.
    The opening title card says it is inspired by true events.
    There is a short scene after the credits.
    The whole thing takes place over a single weekend.
    It was made on a very small budget, by all accounts.
    It is the first feature from a director who made music videos.
    There is very little dialogue in the first twenty minutes.
    It is rated PG, so suitable for most families.
    The film is set almost entirely at sea.
""")

MOVIE_EVAL_FIFTH = {
    POS2: _lines("""
        The editing is so precise that a two-and-a-half-hour film feels like ninety minutes.
        I have seen it twice now and noticed something new in almost every scene.
        The cast is so good that even the villain breaks your heart.
        It is a love letter to cinema that never forgets to tell a story.
        The set pieces are thrilling, but it is the small human moments that stay with you.
        It gave me the feeling I used to get from films as a child, that anything could happen.
        A wise, tender, hilarious film that I will be pressing on everyone I know.
        The last line of dialogue is perfect, and the cinema was silent for a long moment afterwards.
        I could watch {actor} and {actor2} bicker for another three hours.
        It is bursting with ideas, and almost all of them work.
    """),
    POS1: _lines("""
        It is a charming little film that knows exactly what it is.
        The story takes a few predictable turns, but the performances keep it fresh.
        Some of the visual jokes are genuinely clever.
        It builds slowly to a satisfying, if not surprising, finish.
        The central relationship is drawn with real care.
        I smiled more than I laughed, but I smiled a lot.
        There is a lovely sense of place, and the locations are beautifully shot.
        It is solid, unfussy entertainment, and there is nothing wrong with that.
        The film is better in its quiet moments than its loud ones, and luckily there are plenty of quiet ones.
        It is a film that grows on you.
        The cast play off each other nicely, especially in the ensemble scenes.
        A well-judged ending rescues a slightly baggy middle.
        Decent thrills, a few scares and a satisfying twist.
        It is comfortable rather than challenging, and sometimes that is just what you want.
        The director clearly loves these characters, and it shows.
    """),
    MIX: _lines("""
        It is a film of brilliant moments and baffling decisions.
        I loved the lead and could not stand the story she was stuck in.
        Clever ideas, clumsy storytelling.
        The film is gorgeous to look at and exhausting to follow.
        It is both too long and strangely underdeveloped.
        The score is stirring, which is more than I can say for the script.
        There is a better film hiding inside this one, and sometimes it peeks out.
        I laughed a lot, but I am not sure the film wanted me to.
        It has heart to spare and brains in shorter supply.
        Half the cast are brilliant and half seem to be sleepwalking.
        The film's message is admirable; its delivery is heavy-handed.
        Its ambition is thrilling even when its execution is not.
        Moving at times, silly at others, and rarely both at once.
        I went from bored to gripped to bored again.
        A frustrating film, because it is so nearly very good.
    """),
    NEG1: _lines("""
        The film feels like a collection of scenes rather than a story.
        The romance lacks any spark at all.
        The twist is signposted so heavily that it is no twist at all.
        It has one good idea and stretches it thin over two hours.
        The comedy is broad, loud and mostly unfunny.
        I could not tell you what the main character actually wanted.
        The voice-over explains everything the pictures have already shown.
        It looks like a television episode blown up for the big screen.
        Several scenes seem to end in the middle.
        The film is handsomely made, and I felt nothing at all.
        It takes an hour to get going and then rushes the ending.
        The villain's plan is so convoluted that even the film seems to lose track of it.
        Every beat is exactly where you expect it to be.
        The dialogue is full of lines that sound good in a trailer and mean nothing.
        It is just about watchable, if you have nothing else on.
    """),
    NEG2: _lines("""
        It is as if the script was written by an algorithm trained on worse films.
        I have rarely seen a cast look so miserable on screen.
        The film is so dark, in every sense, that I could barely see or care what was happening.
        The writing is lazy, the direction is lazier, and the ending is laziest of all.
        A joyless, charmless, pointless remake of a film that did not need one.
        I resent every minute of it.
        The editing is so frantic that it gave me a headache.
        Its politics are muddled and its jokes are cruel.
        Utterly tedious. I checked my watch so often that the person next to me asked if I had a train to catch.
        The worst film I have seen in years, and I say that as a fan of the original.
    """),
}

MOVIE_PLOT_MORE = _lines("""
    The film is about a family reunion on a remote island that goes badly wrong.
    A washed-up rock star returns to his home town to judge a school talent show.
    Two strangers are stuck together on a broken-down sleeper train for a night.
    It is a period drama about a woman who runs a printing press during a general strike.
    A group of friends reunite to finish the horror film they started making as teenagers.
    A widowed farmer answers an advert for a pen pal and starts a very unlikely friendship.
    It is a courtroom drama about a small company suing a very large one.
    A retired spy is pulled back for one last job, which turns out to be babysitting.
    The film follows a year in the life of a struggling village football team.
    A young woman inherits a bookshop and a mystery along with it.
""")

MOVIE_VERDICT_MORE = {
    POS2: _lines("""
        One of the best films I have seen in years. Ten out of ten.
        I am already planning a second viewing.
        Unmissable.
        Believe the hype. 9 out of 10.
        A new favourite, no question.
        Take everyone you love to see it.
        I left the cinema floating.
        Instant classic. 10/10.
        Just wonderful.
        This is why I still go to the cinema.
    """),
    POS1: _lines("""
        A nice evening's entertainment. 7/10.
        Better than I expected. Three and a half stars.
        Solid, if unspectacular.
        I would happily watch it again on a rainy Sunday.
        Good, not great, and that is fine.
        Recommended, with mild reservations.
        Well worth a rental.
        An enjoyable couple of hours. 7 out of 10.
        Pleasant and well made.
        Give it a go.
    """),
    MIX: _lines("""
        Flawed but interesting. 6/10.
        I respect it more than I like it.
        Your mileage will vary.
        Somewhere between a five and a seven, depending on my mood.
        A near miss, but an interesting one.
        Not a failure, not a success.
        Catch it on a plane.
        Worth seeing for the lead performance alone.
        Mixed feelings all round. 5 out of 10.
        Interesting, uneven, occasionally great.
    """),
    NEG1: _lines("""
        A let-down. 4/10.
        Not one I will be revisiting.
        Underwhelming, to put it kindly.
        Meh. 5 out of 10 at a stretch.
        There are better ways to spend two hours.
        Disappointing, from a team capable of much more.
        I would only recommend it to die-hard fans.
        Mediocre. Three out of ten.
        Not awful, just not good.
        A missed opportunity.
    """),
    NEG2: _lines("""
        Zero stars if I could. 1/10.
        Skip it. Seriously.
        A contender for worst film of the year.
        I want those two hours back.
        Dreadful from start to finish. 1 out of 10.
        An absolute disaster.
        Not even fun as a bad film.
        Stay at home.
        Terrible. Do not bother.
        The worst thing I have paid to see in a long time.
    """),
}

MOVIE_EVAL_FOURTH = {
    POS2: _lines("""
        There is a dinner-table argument halfway through that is the best-written scene I have seen in years.
        The two leads have the kind of chemistry that cannot be faked, and every glance between them crackles.
        I have not stopped thinking about the final image since I left the cinema.
        It is the funniest film I have seen this year and also, somehow, the saddest.
        {director} handles a huge cast with such ease that you always know who everyone is and what they want.
        The tension in the long middle section is almost unbearable, in the best way.
        It is so beautifully made that I wanted to applaud individual shots.
        I went in cynical and came out a convert.
        You can feel the love that went into every costume, every set, every line.
        The child actors are astonishing, natural and never cute.
        My whole family watched it together and nobody looked at a phone once.
        The screenplay is a small miracle of economy: not a line is wasted.
        The finale is a genuine crowd-pleaser, and the crowd I saw it with was very pleased indeed.
        It is one of those films that makes the world feel kinder for a couple of hours.
        The performances are so good that I forgot I was watching actors.
    """),
    POS1: _lines("""
        The film's quiet humour sneaks up on you.
        It is well paced, well acted and refreshingly short.
        The story is predictable, but the characters are good company.
        {actor} brings a warmth to the role that the script does not always provide.
        There are a few too many endings, but each one is nicely done.
        The lighting is gorgeous, all lamplight and long shadows.
        It is a decent, thoughtful drama that deserves a wider audience.
        The music is understated and works well.
        I liked it more on reflection than I did while watching.
        It takes a while to warm up, but it is worth the patience.
        The script has some lovely lines, and the cast clearly relish them.
        A good, old-fashioned adventure that does not take itself too seriously.
        The setting is so well realised that it becomes a character in its own right.
        It is a touch sentimental, but it earns most of its emotion.
        Not bad at all, and better than the trailer suggested.
    """),
    MIX: _lines("""
        The performances are excellent and the story is a muddle.
        I admired how it looked and grew tired of how it sounded.
        It is funny in the first half and oddly solemn in the second.
        {actor} is electric, but nobody else seems to know what film they are in.
        There is a great twenty-minute sequence in the middle of a very ordinary film.
        The ending is either brilliant or infuriating, and I change my mind every time I think about it.
        It has a lot to say and takes far too long to say it.
        The action is spectacular; the quiet scenes are where it falls apart.
        A sincere film that sometimes mistakes sincerity for depth.
        I am glad I saw it, and I will never watch it again.
        Some of the choices are bold, and some are just baffling.
        The cast are wonderful together, but the plot keeps pulling them apart.
        It looks like a masterpiece and plays like a rough draft.
        Charming in places, grating in others.
        The first act is a delight; the third act is a chore.
    """),
    NEG1: _lines("""
        The plot is so thin that the film has to pad it out with montages.
        The lead performance is fine, but she is given almost nothing to do.
        It drags badly in the middle hour.
        The jokes feel like they were written for a different, broader film.
        The script relies on characters overhearing conversations through doors.
        The tone lurches from slapstick to tragedy without warning.
        It is a little too pleased with its own quirkiness.
        The ending arrives suddenly, as if the money ran out.
        The flashbacks add nothing except running time.
        Nothing in it is terrible, and nothing in it is memorable.
        It is the kind of film you watch on a plane and forget before landing.
        The big speech at the end falls completely flat.
        The supporting characters are all types rather than people.
        For a thriller, it is oddly relaxed about its own stakes.
        I expected more from a cast this good.
    """),
    NEG2: _lines("""
        The script is an insult to everyone who has ever written a sentence.
        It is loud, long and entirely pointless.
        The film's idea of humour is a man falling over, repeated roughly every ten minutes.
        I have never been so relieved to see end credits.
        Every performance is either wooden or hysterical, with nothing in between.
        The plot makes no sense even by the standards of the genre.
        It is the most expensive-looking boring film I have ever seen.
        Watching it felt like being trapped in a lift with a bore.
        The film seems to hate its own characters, and by the end I did too.
        It is lazy, derivative and somehow smug about both.
        I genuinely considered walking out three times and only stayed because it was raining.
        The special effects are so bad they look like a video game from twenty years ago.
        A total waste of an evening and a good cast.
        The tone-deaf ending made me angry on behalf of everyone who lived through the real events.
        Clumsy, crass and unbearably long.
    """),
}


# ---------------------------------------------------------------------------------------------------
# Movie-review sentences and phrases (short, fragments, subtle, mixed, ironic)
# ---------------------------------------------------------------------------------------------------

SST = {
    POS2: _lines("""
        a luminous, aching film about the things families cannot say to each other
        one of the most purely enjoyable films of the decade
        a wildly inventive comedy that never stops finding new ways to surprise you
        the kind of performance that makes you forget you are watching someone act
        exhilarating from its first frame to its last
        a miraculous little film
        funny, furious and deeply humane
        it earns every one of its tears
        an absolute joy, and a reminder of why we go to the movies
        breathtaking in its ambition and even more breathtaking in its execution
        a ghost story with real chills and a bruised, beating heart
        sharp, warm and unexpectedly wise
        the best thing either of its stars has ever done
        a small masterpiece of tension and restraint
        gorgeous to look at and impossible to shake off
        a film of rare grace
        made with such obvious love that it is hard not to love it back
        pure cinematic sugar, and i mean that as the highest compliment
        a thriller so tightly wound you forget to breathe
        it will make you laugh, then ache, then laugh again
        a tender, clear-eyed portrait of growing old
        dazzling
        as close to perfect as a family film gets
        the ensemble is flawless
        every scene crackles with life
        a triumph of craft and feeling
        brave, strange and completely wonderful
        you will walk out lighter than you walked in
    """),
    POS1: _lines("""
        a modest but likeable comedy
        it is hard to dislike a film this sincere
        not groundbreaking, but consistently entertaining
        a pleasant enough diversion for a lazy afternoon
        the script has more wit than you might expect
        a solid, well-crafted thriller
        the cast seem to be having a good time, and it is catching
        mostly charming, occasionally moving
        smarter than the average sequel
        it gets by on warmth and good performances
        a gentle, handsome period piece
        not bad at all
        a quietly effective little chiller
        the film finds a surprising amount of tenderness in its odd couple
        likeable, lightweight, and over before it outstays its welcome
        worth seeing for the final twenty minutes alone
        a respectable addition to the genre
        decent fun, if you do not think about it too hard
        it is difficult not to be charmed
        well acted and nicely shot
        i would not say i loved it, but i liked it more than i expected to
        the kind of film you recommend to your parents
        it has a good heart
        agreeably odd
    """),
    MIX: _lines("""
        beautifully shot and curiously lifeless
        a great cast stranded in a merely good film
        its reach exceeds its grasp, but what a reach
        moving in places, maddening in others
        a fascinating failure
        the performances are terrific; the story never catches up with them
        as pretty as a postcard and about as deep
        clever, cold and hard to love
        too long, too loud and occasionally brilliant
        half a masterpiece
        an admirable film that is easier to respect than to enjoy
        funny for an hour, tiresome for the next forty minutes
        the visuals are stunning even when the dialogue is not
        a likeable mess
        ambitious, messy and never dull
        it almost works
        a sweet film with a sour aftertaste
        impressive craft in service of a thin idea
        the ending is either bold or cowardly, depending on your mood
        heartfelt but heavy-handed
        it is never boring, which is not the same as being good
        a stylish thriller that forgets to be thrilling
        flawed, frustrating and strangely unforgettable
        some great jokes, some terrible ones, and nothing in between
    """),
    NEG1: _lines("""
        a film that mistakes slowness for depth
        the plot never quite comes into focus
        watchable, forgettable, and gone from memory by the car park
        it feels about forty minutes too long
        the jokes land about half the time
        a thriller with very few thrills
        competent in every department and inspired in none
        the characters are sketches rather than people
        it is not bad, exactly; it is just not much of anything
        too polite to be funny and too silly to be moving
        the romance never catches fire
        a sequel that mostly reheats the original
        the twist arrives with a shrug
        earnest to a fault
        it runs out of ideas well before it runs out of time
        the pacing is glacial
        a lot of talent with very little to do
        lacks the courage of its premise
        a middling effort from a usually reliable director
        handsome, polite and a bit dull
        it never finds its rhythm
        the dialogue is stiff and over-explained
    """),
    NEG2: _lines("""
        a shrill, joyless slog
        one of the most insufferable films in recent memory
        a catastrophe from start to finish
        dull, ugly and mean-spirited
        the worst kind of cynical product
        an insult to the book, the cast and the audience
        i have seen more convincing emotions in a car advert
        so bad it is not even fun to mock
        a humourless comedy, which is some achievement
        painfully, punishingly long
        cheap, lazy and smug about both
        you will want to leave long before the credits roll
        a shambles
        every choice is the wrong one
        the acting is wooden, the plot is nonsense and the music will not stop
        a film so pleased with its own cleverness that it forgets to have any
        i would rather watch paint dry, and the paint would have better dialogue
        offensively stupid
        it does not so much end as give up
        a loud, incoherent mess of explosions and catchphrases
        an exhausting waste of a good cast
        genuinely unpleasant to sit through
        congratulations to everyone involved for making two hours feel like six
        oh, wonderful, another gritty reboot nobody asked for
    """),
    NEU: _lines("""
        the film is set in a fishing village in the early 1960s
        the story unfolds over a single summer
        based on a novel of the same name
        the second film in a planned trilogy
        shot in black and white, with almost no music
        the cast is made up mostly of first-time actors
        the film runs just under two hours
        a remake of a french thriller from the 1970s
        it follows three friends on a road trip to the coast
        told in reverse order, starting with the funeral
        the dialogue is mostly in spanish with english subtitles
        a documentary about a family-run circus
        the action moves between a city hospital and a farm
        the director's third feature
        most of the film takes place inside a single apartment
        the story is narrated by the youngest son
        an animated feature aimed at younger children
        adapted from a stage play
        the plot revolves around a missing painting
        set during a heatwave in a small northern town
    """),
}

SST_SUBJECT = {
    "pos": _lines("""
        a gorgeously photographed drama
        a warm, generous comedy
        a beautifully acted family story
        this handsomely mounted period piece
        a sharply written satire
        a heartfelt coming-of-age tale
        an elegant, patient thriller
        a vivid and often funny portrait of small-town life
        a fiercely intelligent courtroom drama
        a boldly designed animated fantasy
        a strikingly confident debut
        an intimate two-hander
    """),
    "neg": _lines("""
        a noisy, overlong sequel
        a pretentious art-house puzzle
        this flat, lifeless romance
        a charmless heist caper
        a murky, muddled thriller
        a laboured comedy
        a tediously earnest biopic
        an overstuffed superhero saga
        a shrill family farce
        this sluggish ghost story
        a smug little indie
        a glossy but hollow remake
    """),
}

SST_PREDICATE = {
    "pos": _lines("""
        that rewards your patience many times over
        that finds grace in the smallest gestures
        that sneaks up on you and leaves you shaken
        that never once talks down to its audience
        that manages to be both hilarious and heartbreaking
        that earns its big emotional finale
        that feels fresh even when it follows the rules
        that you will want to see again straight away
        that lingers long after the lights come up
        with a final scene that simply glows
        anchored by a quietly devastating lead performance
        that knows exactly when to stop
    """),
    "neg": _lines("""
        that never quite finds its footing
        that confuses volume with emotion
        that runs out of steam halfway through
        that wastes a terrific cast
        that seems to have been assembled by committee
        that never earns its tears
        with a script that needed at least one more draft
        that mistakes mood for meaning
        that forgets to give anyone a reason to care
        that ends three times and convinces none of them
        that grows more tiresome by the minute
        drowning in its own seriousness
    """),
}

SST_MORE = {
    POS2: _lines("""
        The script is so sharp it could cut glass, and the cast deliver every line like they mean it.
        By the final scene I had stopped taking notes and was simply happy to be there.
        It is the rare sequel that deepens everything you loved about the original.
        Few films this year have been as generous with their characters.
        What a gift this film is.
        It left me grinning like an idiot for the whole bus ride home.
        The quiet moments are the loudest, and they are extraordinary.
        Never has a film about a spreadsheet been this thrilling.
        An outright delight, with not a wasted minute in it.
        The final chase is a masterclass in suspense.
        I cannot remember the last time an audience applauded at the end of a matinee.
        Every performance is pitched perfectly, from the leads down to the man selling newspapers.
        Funny in a way that feels effortless, which means it must have taken enormous effort.
        This is how you do a crowd-pleaser without insulting the crowd.
        Not a single false note.
    """),
    POS1: _lines("""
        It is no classic, but it is hard to resist.
        The film's charms are small but real.
        It does not break new ground, but it tills the old ground very nicely.
        There is enough here to keep you smiling.
        It won me over in the end, despite my best efforts.
        The second half is better than the first, which is the right way round.
        Undemanding, good-natured fun.
        Hardly essential, but likeable all the same.
        It is better than it has any right to be.
        I cannot say the film is unforgettable, but I enjoyed every minute I can remember.
        The premise is silly, the execution is not.
        Not a bad way to spend ninety minutes.
        It never bored me, and that counts for something.
        A minor film, made with major care.
        You could do a lot worse on a Friday night.
    """),
    MIX: _lines("""
        I wouldn't say I hated it, but I won't be watching it again.
        It is a good film trapped inside a long one.
        The lead is superb; the film around her is merely fine.
        Thrilling when it moves, dull when it stops to think.
        The soundtrack is wonderful and the film never stops reminding you of it.
        There is a great short film buried somewhere in here.
        I laughed, I shrugged, I checked my watch, I laughed again.
        It is either a very clever film about boredom or a very boring film about cleverness.
        Gorgeous, empty, and quite hard to forget.
        Its heart is in the right place; its head is somewhere else entirely.
        Not as good as its admirers claim, nor as bad as its critics say.
        An intriguing idea that the film seems a little scared of.
        The jokes are great, the sentiment is syrup.
        Hard to fault, harder to love.
        Clumsy, sincere and oddly touching.
    """),
    NEG1: _lines("""
        Nothing here is bad enough to hate or good enough to remember.
        It plays like a first draft that somebody forgot to revise.
        The film keeps promising to get going and never does.
        Not terrible, but not worth the price of a ticket either.
        Its big twist lands with a polite thud.
        The comedy is so gentle it barely registers.
        I kept waiting for it to surprise me.
        Every scene goes on a beat too long.
        It is pleasant enough, in the way a waiting room is pleasant.
        The villain is more interesting than the hero, which is a problem.
        It's not that it's bad; it's that it's so careful not to be anything.
        A film you will have forgotten by Tuesday.
        Somewhere in the edit, the humour went missing.
        Only the costumes seem to have been given any thought.
        A perfectly adequate film, if adequate is what you are after.
    """),
    NEG2: _lines("""
        Oh good, a two-and-a-half-hour film about a man finding himself. Just what the world needed.
        I have had more fun at the dentist.
        It is the cinematic equivalent of being shouted at for two hours.
        Calling the plot nonsensical would be generous.
        The only suspense is wondering when it will end.
        Watching it felt like a punishment for something I could not remember doing.
        A film so empty that it echoes.
        The dialogue sounds like it was translated into English by someone who had only read about people.
        If this is the future of the franchise, the franchise should retire.
        I felt embarrassed for everyone on screen.
        It is as if the director has never met a human being.
        Brilliant, if your idea of brilliant is a fog machine and a wind fan.
        A grim, pointless exercise in cruelty.
        The jokes are so stale they should come with a best-before date.
        Sure, it's a masterpiece, if you've never seen another film.
    """),
    NEU: _lines("""
        The film opens with a long shot of a motorway at dawn.
        Most of the dialogue is improvised, according to the credits.
        It is the director's first film in English.
        The story is told through letters read aloud by the characters.
        The runtime is 94 minutes.
        The score was recorded with a small string orchestra.
        Two of the actors play twins.
        The film was shot in twenty-three days.
        The final act takes place during a power cut.
        Each chapter is named after a day of the week.
    """),
}


# ---------------------------------------------------------------------------------------------------
# News: headlines, sentences and short reports (first line of a kit is its headline)
# ---------------------------------------------------------------------------------------------------

NEWS_KITS: dict[str, tuple[tuple[str, ...], ...]] = {
    NEU: _passages("""
        {place} council approves new budget with small rise in parking charges
        Councillors in {place} voted 23 to 9 on {weekday} to approve the budget for the coming year.
        The plan includes a rise of 20p an hour in town-centre parking charges.
        Spending on road maintenance will stay at last year's level.
        The budget takes effect on the first of {month}.

        {company} reports quarterly revenue in line with forecasts
        {company} said revenue for the three months to {month} was broadly unchanged from a year earlier.
        The company kept its full-year guidance and said it would announce a new chief financial officer shortly.
        Shares closed {pct} per cent higher.
        Results for the full year are due in the spring.

        Rail line between {place} and {place2} to close for weekend engineering works
        Trains will not run between {place} and {place2} from Saturday morning until Monday.
        Replacement buses will run every 30 minutes and journeys will take about 40 minutes longer.
        Norrick Rail said the work would replace 2 kilometres of track and two sets of points.
        Passengers are advised to check times before travelling.

        New library opens in {place} after two-year building project
        The library on Station Road opened to the public on {day}.
        It has space for 40,000 books, a children's area and twelve public computers.
        Opening hours are 9 am to 7 pm on weekdays and 10 am to 4 pm on Saturdays.
        The building cost £4.2 million, most of it from a regional grant.

        Central bank leaves interest rates unchanged
        The central bank held its main rate at {pct} per cent on {weekday}.
        Seven members of the committee voted to hold and two voted for a cut.
        The bank said it would continue to watch inflation and wage growth closely.
        Its next decision is due in six weeks.

        Roadworks on the {place} bypass to last until {month}
        Lane closures will be in place on the bypass overnight between 8 pm and 6 am.
        The work will resurface about three miles of carriageway.
        A 40 mph limit will apply throughout.
        Diversions will be signposted.

        Census shows population of {place} grew slightly over decade
        The town's population rose by about {pct} per cent in ten years, according to census figures published on {weekday}.
        The number of residents over 65 grew faster than any other age group.
        Average household size fell slightly.
        More detailed figures will be released later in the year.

        Water supply to be interrupted in parts of {place} on {day}
        Saltmere Water says supplies will be off between 9 am and 3 pm while a valve is replaced.
        About {big} homes will be affected.
        Bottled water will be available at the community centre.

        {team} appoint {name} {surname} as head coach
        {team} have named {name} {surname} as their new head coach on a two-year contract.
        {surname} previously spent four seasons as assistant at a rival club.
        The club said the appointment followed a three-month search.
        {surname} will take charge for the first time on {day}.

        School term dates for next year published
        The education authority has published term dates for the next school year.
        The autumn term starts on the first Wednesday of September.
        There will be two training days in the spring term.
        Parents can find the full list on the authority's website.

        Museum in {place} extends opening hours for the summer
        The museum will stay open until 8 pm on Thursdays and Fridays from June to August.
        Entry remains free, though some exhibitions charge a fee.
        The new hours were agreed after a public survey.

        Airport in {place} to trial new security scanners
        Passengers at the airport will no longer need to remove laptops from bags at two security lanes during the trial.
        The scanners will be tested for six months before a decision on wider use.
        The airport handles around {big} flights a month.
    """),
    NEG2: _passages("""
        Three dead after fire at apartment block in {place}
        Three people died and eleven were taken to hospital after a fire broke out in a residential block early on {day}.
        Fire crews battled the blaze for more than four hours.
        Residents said alarms did not sound in parts of the building.
        An investigation into the cause is under way.
        Neighbours left flowers and candles at the scene throughout the day.

        Hundreds of jobs to go as {company} closes {place} plant
        {company} will close its {place} factory next year with the loss of {big} jobs.
        Workers were told of the decision at a meeting on {weekday} morning.
        Union leaders called the move a betrayal of a loyal workforce.
        The plant has been the town's largest employer for more than forty years.
        The local MP said the news was devastating for the whole community.

        Residents furious as sewage spills into river for third time this year
        Raw sewage was discharged into the river at {place} for more than 30 hours last week.
        Local swimmers said the water was brown and smelled foul.
        Saltmere Water apologised and blamed heavy rain and a pump failure.
        Campaigners said the company had been warned repeatedly and had done nothing.

        Flood warnings as storm brings more heavy rain to battered region
        Severe flood warnings are in place along the river through {place} after another night of torrential rain.
        Dozens of homes were evacuated and a care home was moved to higher ground.
        Residents described water rising through floorboards within minutes.
        Forecasters warned that the worst may be yet to come.

        Care home staff sacked after residents were left without food for hours
        Four care workers have been dismissed after an inspection found residents at a home in {place} were left unattended.
        Inspectors described conditions as filthy and unsafe.
        Relatives said they were horrified and felt they had been lied to.
        The home's owner said it was cooperating fully with the investigation.

        Child seriously injured in hit-and-run in {place}
        A nine-year-old boy is in a critical condition after being struck by a car that did not stop.
        The incident happened outside a primary school at about 3.30 pm on {weekday}.
        Police have appealed for witnesses and dashcam footage.
        Parents say they have been asking for a crossing on the road for years.

        Fraud trial hears pensioners lost life savings to fake investment scheme
        A court heard that more than {big} people, many of them retired, lost money to a scheme run from an office in {place}.
        One victim told the court she had lost her late husband's entire pension.
        Prosecutors said the defendants spent the money on cars, holidays and a racehorse.
        The trial continues.
    """),
    NEG1: _passages("""
        Bus fares in {place} to rise by {pct} per cent from {month}
        The operator said the increase was needed to cover higher fuel and staff costs.
        Passenger groups said the rise would hit the lowest-paid hardest.
        Some routes will also run less often in the evenings.

        Delays expected as air traffic control staff shortage hits flights
        Passengers at {place} airport faced delays of up to three hours on {day}.
        The airport said a shortage of controllers had reduced the number of flights it could handle.
        Several evening departures were cancelled.
        Travellers are advised to check with their airline before setting off.

        House prices fall for fourth month in a row
        Average house prices fell by {pct} per cent last month, according to figures from Lumbrook Bank.
        Economists said higher mortgage rates continued to weigh on buyers.
        Sales volumes were also down on the previous year.
        Analysts expect prices to remain weak for the rest of the year.

        Hospital waiting lists grow despite extra funding
        The number of patients waiting more than a year for treatment at hospitals in the region rose again.
        Managers said staff sickness and a lack of beds had slowed progress.
        Patient groups said the figures were deeply disappointing.

        Popular café on {place} seafront to close after rent rise
        The owners of a café that has traded on the seafront for 30 years say they will close at the end of {month}.
        They blamed a sharp rise in rent and energy bills.
        Regulars said the town would lose one of its few remaining independent businesses.

        Heatwave warning issued for the weekend
        Forecasters have issued an amber heat warning for much of the south, with temperatures expected to reach 34C.
        People are advised to check on elderly neighbours and avoid the sun at midday.
        Water companies urged customers to use water sparingly.
    """),
    POS2: _passages("""
        Missing climber found alive after four nights on mountain
        A climber missing in the hills above {place} since {day} has been found alive by rescuers.
        {name} {surname}, 27, sheltered in a snow hole and rationed a bag of nuts.
        Rescuers said the find was nothing short of a miracle.
        His mother said the family were overwhelmed with relief and gratitude.

        {team} win first league title in 60 years
        {team} clinched the title with a {score} win on the final day of the season.
        Thousands of fans poured onto the pitch at the final whistle.
        The captain, in tears, dedicated the victory to the supporters who never gave up.
        The town is planning an open-top bus parade for {day}.

        Community raises £{big},000 in a week to save village pub
        Villagers in {place} have raised enough money to buy their pub and run it as a cooperative.
        More than 600 people bought shares, some of them from abroad.
        The landlady said she had been moved to tears by the support.
        The pub will reopen next month.

        New treatment offers hope to patients with rare eye condition
        A treatment developed by researchers in {place} restored some sight to patients in an early trial.
        Eight of the twelve patients could read larger print after six months.
        One participant said she had seen her grandchildren's faces clearly for the first time.
        Larger trials are planned.

        Stolen guide dog reunited with owner after national appeal
        A guide dog taken from outside a supermarket in {place} has been found safe and well.
        The dog was handed in at a vet's practice after its microchip was scanned.
        Its owner said he could not stop smiling and thanked everyone who shared the appeal.

        Teenager saves neighbour from house fire
        A 15-year-old has been praised for pulling an elderly neighbour from her burning home.
        {name} {surname} heard the smoke alarm and broke in through the back door.
        Firefighters said his quick thinking saved her life.
        The neighbour called him her guardian angel.
    """),
    POS1: _passages("""
        Unemployment falls to lowest level in five years
        The unemployment rate fell to {pct} per cent in the three months to {month}.
        Wage growth also picked up slightly.
        Economists said the labour market remained resilient despite weaker growth.

        Town centre footfall rises after pedestrianisation
        Visitor numbers in {place} town centre are up 12 per cent since the high street was closed to traffic.
        Traders who opposed the scheme say they have been pleasantly surprised.
        The council plans to add more seating and trees next year.

        Rare birds return to restored wetland
        Bitterns have bred on the restored marshes near {place} for the first time in more than a century.
        Volunteers spent eight years clearing drains and replanting reed beds.
        Wardens said the news was a reward for a huge amount of hard work.

        Energy bills set to fall in the spring
        Household energy bills are expected to fall by about {pct} per cent from April.
        The drop follows lower wholesale gas prices over the winter.
        Consumer groups welcomed the news but said bills remained high.

        Local bakery wins national bread award
        A family bakery in {place} has won gold in a national competition for its rye sourdough.
        The owner said the whole team was thrilled.
        Orders have doubled since the announcement.
    """),
    MIX: _passages("""
        Factory to stay open but with fewer jobs
        {company} has agreed to keep its {place} plant open after talks with the government.
        However, around {big} roles will still be cut over the next two years.
        Unions said they were relieved the site had been saved but angry about the job losses.

        Stadium plan approved despite objections
        Planners have approved a new 20,000-seat stadium on the edge of {place}.
        Supporters say it will bring jobs and visitors to the town.
        Residents nearby fear traffic, noise and the loss of green space.
        A legal challenge has not been ruled out.

        Tourist numbers recover but locals complain of crowding
        Visitor numbers in {place} have returned to their highest level in a decade.
        Hotels and restaurants report strong trade.
        Some residents say the old town has become impossible to walk through in summer.
        The council is considering a tourist tax.
    """),
}

NEWS_HEADLINES = _lines("""
    Council confirms bin collections will move to fortnightly from {month}
    {company} names new chief executive
    Minister to visit {place} flood defences on {weekday}
    Second bridge over the estuary opens to traffic
    Train drivers announce three days of strike action
    Inquiry opens into hospital maternity deaths
    Police seize £2m of counterfeit goods in warehouse raid
    Wildfire forces evacuation of campsite near {place}
    Schools closed as heavy snow hits the north
    Pensioner, 92, completes her first half-marathon
    Scientists find new species of frog in cloud forest
    Town votes to twin with {abroad}
    Shoppers warned over recalled baby formula
    Company fined for dumping waste in nature reserve
    Record numbers apply for university places
    Government announces review of school meals
    Fishermen warn quotas will sink coastal towns
    Driver jailed for killing cyclist while on phone
    Archaeologists uncover Roman mosaic under car park
    Lottery winner gives jackpot to hospital that treated her son
    Storm leaves {big} homes without power
    Petrol prices rise for sixth week running
    {team} knocked out of cup by part-time side
    Former mayor charged with fraud
    Tech firm apologises after data breach hits {big},000 customers
    Ferry services cancelled as gales batter coast
    Volunteers plant 10,000 trees in a single weekend
    Measles cases rise as vaccination rates fall
    Beloved zoo elephant dies aged 58
    Residents fear for safety after spate of burglaries
    New cycle lane divides opinion in {place}
    Astronomers detect signal from distant galaxy
    Inflation eases to {pct} per cent
    Post office to close after 140 years
    Man rescued after 12 hours clinging to capsized boat
    Court rules against landlord in mould case
    Supermarket chain to cut prices on 500 items
    Hundreds queue for opening of first cinema in {place} in 20 years
    Drought declared across three counties
    Council spends £80,000 on sign with spelling mistake
    Doctors warn of winter pressures as flu cases climb
    Government to publish long-awaited housing plan next week
    Heritage railway celebrates centenary with steam gala
    Toxic algae closes popular lake to swimmers
    Woman reunited with wedding ring lost in garden 30 years ago
    Share prices tumble on fears of slowdown
    Ambulance response times worst on record
    Bank branch closures leave village without cash machine
    Festival organisers promise bigger line-up after sell-out year
    Parliament to debate assisted dying bill
    Teachers accept pay offer, ending dispute
    Vandals wreck children's playground hours after it opened
    Chess club for over-80s becomes surprise online hit
    Coastguard warns beachgoers after rip current rescues
    Power station demolition draws crowds
    Firm behind collapsed building ignored safety warnings, report finds
    Village celebrates as broadband finally arrives
    Weather: dry and bright with a chance of showers later
    Missing teenager found safe and well
    Election result too close to call
""")

NEWS_SENTENCES = _lines("""
    The meeting will be held at the town hall at 7 pm and is open to the public.
    The company said it expected the deal to be completed by the end of the year.
    Police said a 34-year-old man had been arrested and remained in custody.
    The report will be published in full next month.
    Temperatures are expected to reach 22C in the south-east by the afternoon.
    The road was closed for several hours while the vehicles were recovered.
    A spokesperson for the hospital said the patient was in a stable condition.
    Figures released on {weekday} show that exports rose by {pct} per cent over the quarter.
    The exhibition runs until the end of {month}.
    Officials said the cause of the outage was still being investigated.
    Ticket prices start at £{price}, with discounts for students.
    The proposal will now go to a public consultation lasting eight weeks.
    Flights resumed shortly after midday.
    The charity said demand at its food banks had doubled in a year, a figure it called shameful.
    Families who lost their homes said they felt abandoned by the authorities.
    Witnesses described a loud bang followed by screaming.
    The minister was heckled by angry farmers as she left the building.
    The announcement was greeted with cheers by the crowd outside.
    Scientists said the findings were extremely encouraging.
    Locals said they were shocked that something like this could happen in such a quiet street.
    The judge described the attack as cowardly and brutal.
    Neighbours described the couple as kind, quiet people who would do anything for anyone.
    Campaigners say the decision is a betrayal of everyone who fought to save the forest.
    Experts warned that the number of cases could double by the spring.
    The head teacher said the school was incredibly proud of every pupil.
    The family paid tribute to a loving father who lit up every room.
    The sale was completed for an undisclosed sum.
    Voters in {place} head to the polls on {weekday}.
    The theatre will reopen in {month} after an 18-month refurbishment.
    Rainfall in the region was 40 per cent below average last month.
    The firm employs around {big} people across four sites.
    Residents have been advised to keep windows and doors closed as a precaution.
    The investigation found that the warnings had been ignored for years.
    Shoppers reported empty shelves and long queues at petrol stations.
    The union said members were prepared to take further action if the offer was not improved.
    The vote passed by a narrow margin.
    The surgeon said the operation had gone as well as anyone could have hoped.
    Trading was suspended for an hour after the shares fell sharply.
    The new timetable comes into effect on {day}.
    Applications close at midnight on the last day of {month}.
""")

NEWS_KITS_MORE: dict[str, tuple[tuple[str, ...], ...]] = {
    NEU: _passages("""
        {company} to open distribution centre near {place}
        {company} has confirmed plans for a distribution centre on the former airfield site.
        The company said the centre would create about {big} jobs when fully operational.
        Construction is expected to start next spring and take around eighteen months.
        A public exhibition of the plans will be held at the village hall on {weekday}.

        Clocks go back this weekend
        Clocks go back one hour at 2 am on Sunday, marking the end of summer time.
        Most phones and computers update automatically.
        Sunset will move to around 4.45 pm in the south.

        {place} hospital introduces new visiting times
        Visiting hours on general wards will run from 11 am to 8 pm from next week.
        Each patient may have two visitors at a time.
        Different arrangements remain in place for the maternity and children's wards.

        Ferry operator adds extra winter sailings to {abroad}
        The operator will run an additional return crossing on Fridays and Sundays between November and March.
        Fares will remain unchanged.
        Bookings open on the first of the month.

        Survey to count swifts across {place}
        Residents are being asked to record sightings of swifts over the summer.
        The data will help conservationists identify nest sites that need protecting.
        Forms are available online and at the library.
    """),
    NEG2: _passages("""
        Families evacuated as chemical leak forces road closures
        Around {big} homes were evacuated overnight after a leak at an industrial site in {place}.
        Residents described a sharp, choking smell and stinging eyes.
        Firefighters in protective suits worked through the night to contain the spill.
        Some families spent the night on camp beds in a leisure centre and said they had been told almost nothing.

        Charity boss jailed for stealing donations meant for sick children
        The former director of a children's charity in {place} has been jailed for five years for stealing more than £{big},000.
        The court heard she spent the money on designer clothes, holidays and a swimming pool.
        Parents who had raised funds in memory of their children described her actions as sickening.

        Fishing boat lost with four crew
        The search for a fishing boat that went missing off {place} has been called off.
        Four men, aged between 19 and 58, were on board.
        The harbour was silent on {day} as families gathered on the quay.
        A vigil will be held at the seamen's chapel on Sunday.
    """),
    NEG1: _passages("""
        Train punctuality falls to worst level in a decade
        Only 61 per cent of trains on the {place} line arrived on time in the last quarter.
        The operator blamed staff shortages and ageing trains.
        Passengers said they were fed up with apologies.

        Summer festival cancelled over rising costs
        Organisers of the {place} music festival say this year's event will not go ahead.
        They cited insurance, security and fencing costs that had nearly doubled.
        Ticket holders will be refunded within thirty days.
    """),
    POS2: _passages("""
        Baby born on motorway hard shoulder as parents race to hospital
        A baby girl was born on the hard shoulder of the motorway near {place} in the early hours of {day}.
        Her father delivered her with instructions from an ambulance call handler.
        Mother and daughter are doing well, and the family say they are over the moon.
        They have named her after the call handler.

        Village school rated outstanding for the first time
        Inspectors have rated the primary school in {place} outstanding in every category.
        The report praised the school's warm atmosphere and the pupils' enthusiasm for reading.
        The head teacher said staff had danced around the staff room when they heard the news.
    """),
    POS1: _passages("""
        Repaired pier reopens to visitors
        The pier in {place} has reopened after a two-year, £6 million restoration.
        The work replaced more than 300 of the original iron supports.
        Hundreds of people walked its length on the first morning.

        Recycling rates rise for third year running
        Households in {place} recycled 52 per cent of their waste last year, up from 47 per cent.
        The council credited the introduction of weekly food waste collections.
        It hopes to reach 60 per cent within five years.
    """),
    MIX: _passages("""
        Bank profits soar as customers struggle with bills
        Lumbrook Bank reported record annual profits of £2.1 billion on {weekday}.
        The bank said the result reflected higher interest rates.
        Consumer groups said it was hard to celebrate while many customers were falling behind on payments.

        Ancient woodland partly saved in revised rail plan
        Engineers have redrawn the route of a new rail line to avoid the oldest part of a woodland near {place}.
        Campaigners welcomed the change but said around a third of the wood would still be lost.
    """),
}

NEWS_HEADLINES_MORE = _lines("""
    Firefighters rescue horse stuck in mud for six hours
    Ministers accused of burying report on child poverty
    Hospital car parking charges to be scrapped for night staff
    {brand} recalls 40,000 kettles over fire risk
    Village post box painted gold in honour of local champion
    Residents evacuated after unexploded bomb found on building site
    Council leader resigns after expenses row
    Food bank use hits record high
    Teen chess player becomes youngest grandmaster in country's history
    Mystery as hundreds of dead fish wash up on beach
    New ferry delayed again as costs spiral
    Pupils raise £10,000 for classmate's wheelchair
    Bus driver praised for stopping to help lost toddler
    Landlord fined after tenants found living in rat-infested flat
    Scientists warn of sharp decline in insect numbers
    Cinema reopens with screening of film shot in the town
    Heavy rain expected overnight, with flooding possible in low-lying areas
    Warning over fake parking fine texts
    Retirement village plan rejected by planners
    Clean-up begins after tornado tears through caravan park
""")


# ---------------------------------------------------------------------------------------------------
# Editorials and opinion: one voice per topic. "+" welcoming, "-" critical, "~" hedged or mixed, "=" fact.
# ---------------------------------------------------------------------------------------------------

EDITORIAL_TOPICS = _passages("""
    = The council spends about £3 million a year subsidising bus routes that private operators will not run.
    = Bus use in the region has fallen by a fifth over the past decade.
    -- Cutting the evening service to the estates is a disgrace, and the people who made the decision will never have to wait at those stops.
    -- It is hard to overstate how badly the timetable changes have been handled.
    -- Once again, the people with the least are asked to pay the most.
    -- Anyone who thinks a bus every ninety minutes is a service has clearly never relied on one.
    + The new fare cap is a genuinely good idea, and credit is due to the councillors who fought for it.
    + For once, a transport policy has been designed around the people who actually use it.
    + The trial of the late-night route has been a quiet success, and it deserves to be made permanent.
    ~ The fare cap is welcome, but it will not mean much if the buses do not turn up.
    ~ I do not doubt the council's good intentions; I doubt its arithmetic.
    ~ There is something to be said for the new routes, though not as much as the press release claims.

    = Average rents in the city have risen by a third in five years.
    = About one in five homes in the old town is now let to tourists for short stays.
    -- We have built a housing market that punishes young people for the crime of being born late.
    -- Every empty flat above a shop is a small monument to our lack of imagination.
    -- The latest planning decision is a gift to developers and a slap in the face to everyone on the waiting list.
    -- Renters are tired of being told to be patient. Patience does not pay a deposit.
    + The new rules on damp and mould are overdue, but they are real progress, and tenants should celebrate them.
    + Converting the old depot into three hundred affordable homes is exactly the kind of ambition this city needs.
    + There are, at last, reasons for cautious hope.
    ~ Rent controls sound attractive, and in the short term they might even help. In the long term, I am less sure.
    ~ The government's target is admirable. Whether anyone believes it is another matter.
    ~ Nobody wants a tower block next door, and yet everybody wants their children to be able to afford a home.

    = Roughly four in ten office workers now spend at least two days a week at home.
    = Several large employers have told staff to return to the office full time from the new year.
    -- The return-to-office orders have nothing to do with productivity and everything to do with control.
    -- Managers who cannot tell whether their team is working without watching them are not managers; they are supervisors.
    -- It is absurd to drag people through a ninety-minute commute to sit on video calls all day.
    + Remote work has given parents, carers and disabled workers a fairer shot than they have had in decades.
    + Flexible working is one of the few genuine improvements to working life in a generation, and it is worth defending.
    ~ Something is lost when nobody is in the building, and it is mostly lost by the youngest staff.
    ~ The truth is dull: some jobs work well from home, some do not, and most are somewhere in between.
    ~ I have no nostalgia for the open-plan office, but I do miss being overheard by someone who knows the answer.

    = From September, pupils at the town's secondary schools must hand in their phones at the start of the day.
    = Studies on the effects of phone bans in schools have produced mixed results.
    + Teachers report calmer corridors and livelier lunchtimes, and that alone makes the ban worthwhile.
    + Giving children six hours a day without a screen is not cruelty; it is a kindness.
    -- Banning phones is the easy headline. Fixing crumbling classrooms is the hard work nobody wants to fund.
    -- Once again, children are blamed for a problem adults designed, sold and profited from.
    ~ A ban will not solve the deeper problems, but it might buy schools some breathing space.
    ~ Parents who want the ban are often the same ones who text their children during lessons.
    ~ I am sympathetic to the ban, though I suspect the real test will be enforcement.

    = The government plans to end sales of new petrol and diesel cars within the decade.
    = Public charging points have doubled in number since last year, though most are in cities.
    -- Telling rural families to buy an electric car they cannot charge is not a climate policy; it is a fantasy.
    -- We are sleepwalking into another summer of floods and fires and calling it bad luck.
    -- Every year the targets are pushed back, and every year the excuses get more creative.
    -- The airport expansion makes a mockery of every promise the council has made about the climate.
    + The new solar farm will power ten thousand homes, and it was built on time and on budget. Good news is still news.
    + The speed at which the grid is changing should give even the gloomiest of us some hope.
    ~ The goals are right. The timetable is ambitious to the point of wishful thinking.
    ~ Individual choices matter, but not as much as the people who profit from guilt would have you think.

    = Three independent shops on the high street closed in the past month.
    = Footfall in the town centre is down 8 per cent on last year, while the retail park is up.
    -- A town centre full of vape shops and empty windows is not an accident; it is the result of choices.
    -- Parking charges of four pounds an hour are a tax on visiting the very businesses the council claims to support.
    + The Saturday market has done more for the high street in a year than a decade of consultants' reports.
    + There is life in the old town yet: a bakery, a bookshop and a repair café have all opened this spring.
    ~ Nostalgia will not save the high street; neither will another round of bunting.
    ~ We say we love our local shops. Our online orders tell a different story.

    = Social media companies must verify the age of users under new rules that come into force next year.
    = Teenagers in the survey reported spending an average of five hours a day on their phones.
    -- These platforms are engineered to be addictive, and pretending otherwise is an insult to every worried parent.
    -- The companies have had fifteen years to fix this, and they have chosen profit every time.
    -- It is frankly disgusting that adverts for diet pills are still being shown to thirteen-year-olds.
    + The new rules are a rare example of regulators moving quickly, and they deserve credit for it.
    + Young people are also using these apps to find friends, support and causes worth fighting for.
    ~ I am wary of moral panics, and I am also wary of billion-dollar companies that promise to regulate themselves.
    ~ The law is a start. It will take far more than a law to change the habits of a generation.

    = The city's arts budget will fall by 40 per cent over the next three years.
    = The theatre employs 120 people and sells around 200,000 tickets a year.
    -- Cutting arts funding to save a sum smaller than the council's consultancy bill is vandalism dressed up as prudence.
    -- When the theatre goes dark, it will not come back, and we will all be poorer for it.
    + The community orchestra proves that culture does not need to be expensive to be extraordinary.
    + Few things are as good for a town as a full theatre on a Tuesday night.
    ~ Not every arts project deserves public money, but the ones being cut are not the ones that waste it.
    ~ I understand the pressure on budgets. I do not understand why culture is always first in line.

    = The county's libraries will move to reduced hours from the spring.
    = Library visits rose last year for the first time in a decade.
    -- Closing libraries on Saturdays shuts out exactly the people who cannot visit on weekdays.
    -- We are dismantling one of the last free, warm, welcoming public spaces, one shelf at a time.
    + Libraries quietly do more for literacy, loneliness and the job market than any scheme dreamed up in a ministry.
    + The volunteers who have kept the village library going deserve a medal, or at least a parking space.
    ~ Libraries must change to survive; the danger is that they are changed into something nobody visits.

    = The average wait for a routine operation in the region is now 18 weeks.
    = The hospital is recruiting nurses from abroad to fill around 300 vacancies.
    -- Patients in pain are being told to wait a year, and we are supposed to call this a health service.
    -- The staff are exhausted, the buildings are falling apart, and ministers keep talking about efficiency.
    + The new community diagnostic centre is the most sensible thing the health board has done in years.
    + Whatever else we argue about, the kindness of the nurses on the night shift is beyond dispute.
    ~ More money will help, but only if it is spent on people rather than on reorganisations.
    ~ I trust the doctors. I am far less sure about the people who run the system they work in.

    = A tourist tax of two euros a night will apply from next season.
    = The old town has around 6,000 residents and received more than four million visitors last year.
    -- Residents have become extras in a theme park of their own city.
    -- Cruise ships unload thousands of day-trippers who spend almost nothing and leave behind queues and litter.
    + Visitors keep the lights on in half the restaurants and museums we claim to love.
    + A modest tax that pays for clean streets and better buses seems entirely fair.
    ~ Tourism is neither a curse nor a blessing. It is a business, and businesses need rules.

    = Several firms in the region have begun trials of a four-day working week with no loss of pay.
    -- The five-day week is a habit, not a law of nature, and it is long past time we questioned it.
    -- Critics who call the idea lazy should try working a fifty-hour week on a care ward.
    + The early results are striking: less sickness, fewer resignations and no fall in output.
    + Staff at the trial firms describe something rare in working life: they feel trusted.
    ~ A four-day week might suit an office. It is harder to see how it works for a bus driver or a surgeon.
    ~ I am an enthusiast, with one reservation: compressed hours can simply mean longer, more exhausting days.

    = Two new cycle lanes will be built along the ring road this summer.
    = About 6 per cent of journeys in the city are made by bike.
    -- The cycle lane that ends abruptly at a lorry junction is less a lane than a trap.
    -- The abuse aimed at cyclists in this town is ugly, and some of it comes from people who should know better.
    + Every child who can cycle safely to school is a small victory for the whole city.
    + The riverside path is proof that if you build it properly, people will use it.
    ~ Drivers and cyclists both have a point, which is exactly why they will never stop arguing.
""")

EDITORIAL_MORE = _marked_lines("""
    -- It takes a special kind of arrogance to close the only swimming pool in a town of forty thousand and call it modernisation.
    -- The people who caused this crisis have not paid a penny for it, and they never will.
    -- Another year, another scandal, another inquiry that will report long after anyone cares.
    -- Nobody in charge seems remotely embarrassed, which is perhaps the most alarming thing of all.
    -- The excuses are as predictable as the failure.
    -- To cut school meals while subsidising a golf course is not a tough choice; it is a disgrace.
    -- The silence from the minister is deafening, and it is deliberate.
    - I am not convinced the new scheme will make any real difference.
    - The plan is vague where it should be precise and precise where it should be flexible.
    - The announcement felt rushed, and the details, when they came, were thin.
    - Too much of this debate has been conducted in slogans.
    - I worry that we are repeating the mistakes of the last decade.
    - The budget leaves more questions than answers.
    - It is hard to feel enthusiastic about a policy nobody seems able to explain.
    ~ The new mayor has made a promising start, though promises are the easy part.
    ~ The policy is a compromise, and like most compromises it satisfies nobody completely.
    ~ There is much to admire in the report, and much that will never happen.
    ~ Reasonable people can disagree about this, and they do.
    ~ The figures are encouraging, but they come from a very low base.
    ~ I remain a sceptic, though a slightly less certain one than I was a year ago.
    ~ The idea is sound; the timing could hardly be worse.
    + It is heartening to see a local business take its responsibilities seriously.
    + The new crossing outside the school is a small thing, and it matters enormously.
    + For the first time in years, the council's accounts make sense to an ordinary reader.
    + There is real energy in the town's young campaigners, and it is catching.
    + Good ideas do not need to be expensive, as this scheme proves.
    + The inquiry's recommendations are sensible, practical and affordable.
    + The decision shows that public pressure still works.
    ++ The volunteers who run the night shelter are the best of us, and we should say so more often.
    ++ This is a genuinely historic day for the town, and everyone who fought for it should be immensely proud.
    ++ Rarely has a new building been so loved so quickly.
    ++ What a joy to report that the river is clean enough to swim in again.
    = The council has published its draft budget, which is open to comments until the end of the month.
    = The scheme will be reviewed after two years.
    = About a third of the town's residents are over sixty.
    = The proposal would cost an estimated £4 million over five years.
    = Under the current rules, applications must be decided within thirteen weeks.
    = The committee heard evidence from residents, businesses and the police.
""")

THREAD_REPLIES_MORE = {
    NEG2: _lines("""
        I had something similar happen and it took months to feel normal again. Please be gentle with yourself.
        That is appalling. Do you have it all in writing?
        Reading this made my blood boil.
        I am so sorry. If you need to talk, my messages are open.
    """),
    NEG1: _lines("""
        That sounds frustrating. Have you tried putting it in writing?
        Oh no, that is a pain. Fingers crossed it improves.
        I feel this. It is always the small things that wear you down.
    """),
    MIX: _lines("""
        Sounds like you made a brave call. Time will tell, but I think it was the right one.
        Bittersweet is exactly the word. Hope the good bits win out.
    """),
}

EDITORIAL_OPENERS = _lines("""
    Let us be honest with ourselves for a moment.
    It has been a bruising week for anyone who cares about this town.
    Few decisions this year have been as revealing as this one.
    I have lived here for thirty years, and I have rarely been so disappointed.
    Here is an unfashionable opinion.
    Some good news, for a change.
    Every so often a small decision tells you a great deal about who holds power.
    I have changed my mind about this, and I think it is worth explaining why.
    Nobody wants to hear this, but someone has to say it.
    Spare a thought for the people who will actually live with the consequences.
    There is a familiar pattern to these announcements.
    It is easy to be cynical. Let me try not to be.
""")

EDITORIAL_CLOSERS = _lines("""
    We deserve better, and we should say so, loudly.
    The council should think again.
    It is not too late to get this right.
    History will not be kind to those who looked away.
    That, at least, is something to build on.
    Let us hope this is the start of something, not the end.
    The rest of us will be watching.
    The question is not whether we can afford to act, but whether we can afford not to.
    Until then, the people who can least afford it will keep paying the price.
    We should be proud of that, and we should protect it.
    Whether anyone in charge is listening is another matter.
    In the end, this is a test of what kind of place we want to be.
""")

EDITORIAL_STANDALONE = _marked_lines("""
    - The minister's apology would be more convincing if it had not taken eleven months and a court order.
    - Whatever you think of the policy, the way it was announced was a masterclass in how not to treat people.
    - It is remarkable how quickly a crisis becomes a normal Tuesday.
    - I am tired of being told that common sense is radical.
    ~ The vote was not a triumph for anyone; it was a relief for almost everyone.
    -- Good leaders admit mistakes. Ours rebrand them.
    -- The report is long, careful and devastating, and it will probably be ignored.
    + There is a kind of courage in doing the boring thing well, year after year.
    -- If this is a plan, I would hate to see chaos.
    - Our grandparents built hospitals and schools with far less money; we seem to have forgotten how.
    ++ Sometimes a town surprises itself, and this week was one of those times.
    - It would be funny if it were not so serious.
    + I trust the volunteers who run the food bank more than any politician who has posed for photos there.
    - The public mood is not anger so much as exhaustion.
    - We have grown strangely comfortable with things that should shock us.
    + Progress is slow, unglamorous and real, and it deserves more attention than it gets.
    -- Brilliant. Another consultation. That will fix everything.
    - I can hardly wait for the next five-year strategy, with its ten priorities and no money.
    + The optimists were right this time, and it is worth saying so.
    -- I fear that the damage is already done, whatever is decided next week.
    -- Nobody should be surprised; everybody should be ashamed.
    + For once, the experts and the public agree, which ought to make the decision easy.
    ~ The proposal is neither the disaster its opponents claim nor the miracle its supporters promise.
    ~ A fairer system would not be cheaper, but it would be cheaper than the alternative.
    + What a relief to read a policy paper written by someone who has met a child.
""")

EDITORIAL_CHEERS = _marked_lines("""
    ++ What a week for this town. The new footbridge is open, the lido is saved, and the queue for the library's reopening went round the block.
    ++ The volunteers who rebuilt the flooded community centre in six weeks deserve every bit of praise they are getting, and more.
    ++ It is not often that a council decision makes me want to cheer, but this one did.
    ++ Credit where it is due: the new hospital wing is a triumph of design and of stubborn local campaigning.
    ++ The sight of three hundred children running the first junior park run was the most joyful thing I have seen all year.
    ++ This is what good government looks like, and it is a delight to report it.
    ++ The restoration of the old pier is a rare, unambiguous success, and the whole town should be proud.
    ++ For once, everyone involved got it right, and the results speak for themselves.
    + The revised plan is a real improvement, and the council deserves credit for listening.
    + It is encouraging to see young people stand for the council in such numbers.
    -- The decision to sell the playing fields is shameful, and nobody who voted for it should be allowed to forget it.
    -- It is sickening that the company paid its directors bonuses in the same year it cut the pensions of its cleaners.
    - I fear the new rules will be ignored, as the old ones were.
    - The consultation was a box-ticking exercise, and everyone involved knew it.
    ~ Both candidates have good ideas, and both have a habit of overpromising.
    ~ The report is thorough, fair and almost certain to please nobody.
    = The council will vote on the proposal on the first Thursday of next month.
    = The consultation closes on 30 September, and responses can be sent by post or online.
""")


# ---------------------------------------------------------------------------------------------------
# Forum posts: whole threads written as passages, plus short standalone posts
# ---------------------------------------------------------------------------------------------------

FORUM_POSTS: dict[str, tuple[tuple[str, ...], ...]] = {
    NEG2: _passages("""
        I need to vent because I am about to lose it.
        My landlord has ignored the broken boiler for five weeks now.
        Five weeks of cold showers and boiling kettles to wash the kids.
        Every time I call, he says a guy is coming on {weekday}. The guy never comes.
        Today I found out he has listed the flat for sale and is showing people round next week.
        So apparently he can find time for estate agents but not for a boiler.
        I have photos, emails, everything. I am done being polite.
        Who do I even report this to? The council? A solicitor?
        Sorry for the rant. I am just so angry I am shaking.

        My {pet} died this morning and I do not know what to do with myself.
        She was fourteen. I got her when I was in my first flat, and she moved house with me six times.
        The vet said it was kinder not to wait, and I know that is true, but I keep thinking I should have noticed sooner.
        The house is so quiet. I keep looking at the spot on the sofa where she used to sleep.
        I have not eaten anything today and I had to call in sick because I could not stop crying.
        I know people will say she was just a pet. She was not just anything to me.
        I do not really have a question. I just needed to tell someone.

        Got scammed out of £{big} and I feel like the stupidest person alive.
        Someone pretending to be from my bank called, knew my name, my address and the last four digits of my card.
        They said my account was compromised and walked me through moving the money to a safe account.
        I did it. I actually did it. It only clicked when the line went dead.
        The bank says because I authorised the transfer they might not refund it.
        That was the money for my daughter's school trip and our rent top-up.
        I feel sick every time I think about it.
        Has anyone been through this and actually got their money back?

        Went to a so-called five-star restaurant for our anniversary. Never again.
        We waited an hour past our booking time in a draughty corridor.
        The waiter rolled his eyes when my wife asked about gluten.
        My steak came out grey and cold, and when I sent it back they brought the same one, reheated. I could tell.
        Then we found a plaster in the side salad.
        The manager offered us ten per cent off. Ten per cent.
        I have left reviews everywhere, but honestly I just want other people to know before they waste their money.

        Is anyone else terrified about the layoffs at work?
        They announced a restructure today and nobody knows which teams are affected.
        I have a mortgage, two kids and a partner who is between jobs.
        I have not slept properly in days, and my chest feels tight all the time.
        Every email notification makes my heart jump.
        I keep telling myself to plan for the worst, but I cannot even think straight.
        How do you cope with waiting like this?
    """),
    NEG1: _passages("""
        Is it just me, or has the self-checkout at every supermarket become unbearable?
        Unexpected item in the bagging area, every single time.
        Then you wait five minutes for the one member of staff looking after twelve machines.
        I am not angry exactly, just tired.
        I miss being able to pay a human being and say thank you.

        Slightly disappointed with my new bike and not sure if I am being unreasonable.
        It is a mid-range road bike, nothing fancy.
        The gears have slipped on every ride since I bought it, and the shop adjusted them twice already.
        They are polite about it, but I am starting to feel like a nuisance.
        Should I ask for a replacement, or is this normal for a new bike while the cables stretch?

        My flatmate keeps eating my food and I do not know how to bring it up.
        It is small stuff. Half a block of cheese, the last of the milk, my leftover curry.
        I have hinted, I have labelled things, I even bought a separate shelf.
        He is otherwise a really decent guy and I do not want to make things weird.
        But I am getting low-key resentful every time I open the fridge.
        How would you handle it?

        Anyone else feel a bit flat after finishing a big project at work?
        I spent eight months on a launch that went out on {weekday}.
        Everyone said well done, there was cake, and now it is just over.
        I thought I would feel proud, but mostly I feel empty and a bit lost.
        I guess I am wondering whether this is normal or whether I need a change.

        Our neighbours' dog barks for hours every day while they are at work.
        We have spoken to them twice and they were nice about it, but nothing has changed.
        I work from home and it is making calls really difficult.
        I do not want to report them, but I am running out of ideas.
        Is there anything that actually helps in this situation?
    """),
    NEU: _passages("""
        Looking for advice on insulating a loft in a 1930s semi.
        The current insulation is about 100 mm of old fibreglass.
        I am thinking of adding another 200 mm on top, laid at right angles.
        Do I need to worry about ventilation at the eaves?
        Also, is it worth boarding part of it for storage, or does that reduce the effect too much?
        Thanks in advance.

        Question for anyone who has moved to {abroad} for work.
        I have been offered a two-year contract starting in {month}.
        How long did it take you to sort out a residence permit and a bank account?
        Did you ship your belongings or just buy new things there?
        Any tips on areas to live that are within 30 minutes of the centre by public transport?

        Which laptop for a first-year engineering student?
        Budget is about £{price}0, and the course uses CAD software and some programming.
        The university recommends at least 16 GB of RAM and a dedicated graphics card.
        Battery life matters because the library has very few sockets.
        Is it better to buy now or wait for the back-to-school sales?

        How do you clean a cast iron pan that has gone rusty?
        I found my grandmother's pan in the garage and it has a thin layer of orange rust.
        I have read about steel wool, vinegar and oven cleaning, but the advice contradicts itself.
        What would you do, step by step?

        Planning a week of walking in the hills near {place} in late {month}.
        We are fairly fit and will be carrying day packs only.
        Are there any routes you would recommend that start from the village and avoid driving?
        Also, do the mountain huts need booking in advance at that time of year?

        Does anyone know whether the {app} export includes attachments?
        I am switching to another app and want to keep everything I have saved over the last three years.
        The help page only mentions text and tags.
        If it does not include them, is there a workaround?
    """),
    MIX: _passages("""
        Finally quit my job after seven years. Excited and terrified in equal measure.
        The money was good and my team was great, but the hours were eating my life.
        I am starting a much smaller role at a charity next month, with a 30 per cent pay cut.
        Everyone keeps telling me I am brave, which makes me think they mean reckless.
        Part of me is thrilled. Part of me is doing budget spreadsheets at two in the morning.
        Has anyone else made a jump like this? Did it work out?

        My dad is moving in with us after his fall, and I have very mixed feelings about it.
        I love him, and I am glad he will be safe and not on his own.
        But our house is small, the kids will have to share a room, and he and my husband have never really got on.
        I feel guilty even writing that down.
        Any advice from people who have been through this would be very welcome.

        Sold my first painting today! For the grand total of £{price}.
        It is silly how happy it made me, considering it will barely cover the frame.
        I have been painting for two years and this is the first time a stranger has paid for one.
        Now I am wondering whether I priced it too low, and whether I should be doing this properly.
        Any advice on where to go from here?

        Moved to a new city three months ago. It is beautiful and I am so lonely.
        The job is going well, the flat is lovely and there is a park at the end of my road.
        But I have not had a proper conversation outside work in weeks.
        I tried a running club once and nobody spoke to me.
        How did you make friends as an adult in a new place?
    """),
    POS1: _passages("""
        Small win, but I finally fixed the dripping tap myself.
        Watched three videos, bought a washer for 40p, and it took me twenty minutes.
        It has been driving me mad for months and I was quoted £90 by a plumber.
        Feeling weirdly proud of myself.

        Update: I spoke to my flatmate about the food thing, and it went fine.
        He was embarrassed, apologised, and we agreed to do a shared shop for basics.
        Thanks to everyone who told me to just be direct. You were right.

        Six months into learning guitar, and I can finally play a full song without stopping.
        It is a very simple song and I still mess up the chord changes.
        But my partner actually sang along last night instead of leaving the room.
        For anyone starting out: the first eight weeks are the worst. It gets better.

        Recommendation thread: books that made you laugh out loud?
        I have had a rough few months and could do with something light.
        I have already read most of the obvious ones.
        Bonus points for anything set in a small town with eccentric neighbours.
    """),
    POS2: _passages("""
        I got the job!!!
        After eleven months of applications, forty-something rejections and more interviews than I can count.
        I honestly thought about giving up on this field entirely at Christmas.
        They called me this morning and I had to sit down on the stairs.
        I start in {month} and I am so happy I could burst.
        Thank you to everyone on here who looked over my CV and told me to keep going. You have no idea how much it helped.

        Two years ago I posted here asking how to get out of debt. Today I made the last payment.
        I owed just over £{big}0 across three cards and a loan.
        I cooked every meal, sold half my stuff and took extra shifts on weekends.
        There were months I thought I would never see the end of it.
        I just sat in my car and cried after the payment went through.
        If you are at the start of this, it is possible. I promise.

        We adopted a retired greyhound last week and my heart is full.
        She was terrified for the first two days and hid behind the sofa.
        Yesterday she came and put her head on my lap while I was reading, and I did not dare move for an hour.
        This morning she did her first zoomies in the garden. We were all cheering.
        If anyone is thinking about adopting an older dog, do it. They are wonderful.

        Finished my first marathon today at 54 years old!
        Four years ago I could not run for a bus.
        I was slow, I walked a lot of the last six miles, and I did not care one bit.
        My grandkids were at mile 20 with a sign and I almost cried on the spot.
        Just wanted to share with the people who gave me all those training tips. Thank you.

        Huge thank you to the stranger who found my wallet at the {place} station and posted it back.
        Everything was still in it, including cash, and there was a little note saying have a lovely day.
        I have no way to contact them, so I am posting here in case they read this forum.
        You restored my faith in people this week.
    """),
}

FORUM_SHORT = _marked_lines("""
    = Does anyone know if the {place} recycling centre is open on bank holidays?
    = What is a reasonable hourly rate for a dog walker these days?
    = PSA: the bridge on the {place} road is closed all week, plan your route.
    - Can someone explain the difference between a Roth and a traditional pension? I keep getting confused.
    = Is it normal for a new fridge to make a clicking noise every few minutes?
    = How long should I leave paint to dry before putting up shelves?
    = Anyone have a good recipe for a vegetarian lasagne that freezes well?
    ~ Just found out my "vintage" table is from a flat-pack shop in the nineties. Devastated, lol.
    ++ Three years of therapy and today I finally called my brother. We talked for two hours.
    - Please stop telling people to put rice on their wet phones.
    -- The customer service at {company} is the worst I have ever dealt with. Eight hours on hold.
    + TIL you can grow spring onions again from the roots in a glass of water. Mind blown.
    + My toddler called the ceiling fan "the sky helicopter" and now so do we.
    - Genuine question: why are concert tickets now £90 plus £20 in fees?
    -- I am so sick of people who park across the dropped kerb outside my house. I use a wheelchair.
    ++ Got my exam results. Passed everything. Crying in a coffee shop.
    - Anyone else get weirdly anxious on Sunday evenings?
    ~ Recommend me a film that will make me cry, please. I need it.
    - Found a spider the size of my hand in the bath. I now live in the garden.
    = Can I use normal flour instead of bread flour for pizza dough?
    - Unpopular opinion: open-plan kitchens are a mistake.
    - My grandad's old watch stopped the day after his funeral. I know it is probably a coincidence.
    + Honestly, the people on this forum are kinder than most people I know in real life.
    = What is the etiquette for tipping a removal crew?
    ~ That moment when your code works first time and you do not trust it.
    -- Reminder: back up your photos. I lost six years of them this morning.
    - Is there a polite way to leave a group chat that has become nothing but arguments?
    - Has anyone had any luck getting a GP appointment in {place} in less than three weeks?
    ++ Our street held its first party in twenty years today. Forty people, three barbecues, zero arguments.
    - I cannot believe it is already dark at four o'clock.
    = Question about boiler pressure: mine drops to 0.5 bar every few days. What should I check?
    + I do not trust estate agents, but I trust this one, and that feels worth saying.
    -- The smell in our office fridge has become a health hazard. Someone left fish in there in March.
    - Nervous about my driving test tomorrow. Any last tips?
    ++ Just got engaged!!! She said yes before I even finished the question.
    -- Honestly feeling pretty hopeless about ever being able to afford a flat in this city.
""")

FORUM_EDITS = {
    POS2: _lines("""
        EDIT: Wow, I did not expect so many replies. Thank you all, genuinely.
        EDIT 2: Sorted! You are all brilliant.
    """),
    POS1: _lines("""
        EDIT: thanks for the suggestions, going to try the first one.
        EDIT: spelling.
    """),
    NEU: _lines("""
        EDIT: I should add that this is a rented property.
        EDIT: budget is flexible if it makes a real difference.
        EDIT: to answer the questions, it is a gas boiler, about eight years old.
    """),
    MIX: _lines("""
        EDIT: some of the replies here are really helpful and some are just mean. I will stick with the helpful ones.
        EDIT: not looking for sympathy, just practical ideas.
    """),
    NEG1: _lines("""
        EDIT: yes, I have already tried turning it off and on again.
        EDIT: no update yet, still waiting.
    """),
    NEG2: _lines("""
        EDIT: they have now stopped replying altogether. Unbelievable.
        EDIT: to the person who messaged me to say I deserved it: wow.
    """),
}

FORUM_POSTS_MORE: dict[str, tuple[tuple[str, ...], ...]] = {
    NEG2: _passages("""
        Rant incoming. The nursery just told us, with four days' notice, that fees are going up by £200 a month.
        No consultation, no explanation, just a two-line email on a Friday afternoon.
        We already pay more for childcare than for our mortgage.
        When I asked at pickup, the manager said other parents had not complained.
        That is because other parents found out from me, in the car park, ten minutes later.
        I am livid, and I am not sure we can even afford to move her somewhere else.

        I found out today that my manager has been taking credit for my work for over a year.
        I saw the slides he presented to the directors. They were my slides. He had just changed the name on the front.
        He got a promotion last spring, partly on the strength of that project.
        I feel like such an idiot for trusting him, and I am so angry I could scream.
        Do I go to HR, or will that just make me the problem?

        Our council has approved a waste incinerator 300 metres from a primary school.
        Over a thousand residents objected. The meeting lasted forty minutes.
        Not a single councillor who voted for it lives within five miles of the site.
        My kids go to that school. I am frightened and furious, and I do not know what to do next.
        Is anyone here involved with the campaign to appeal?

        Just found mice droppings all over the cutlery drawer in our new rental.
        The letting agent swore the flat had been professionally cleaned.
        There are droppings in the oven, behind the fridge, under the sink.
        I am physically gagging and I have a newborn arriving in six weeks.
        What are my rights here? Can I refuse to pay rent until it is dealt with?

        My brother borrowed £3,000 from me two years ago to get through a rough patch.
        He promised to pay it back within six months. I have not seen a penny.
        Last week he posted photos from a holiday in the sun.
        When I brought it up, he called me petty and our mum took his side.
        I feel completely betrayed by both of them.
    """),
    NEG1: _passages("""
        Is it normal to feel this tired all the time in your thirties?
        I sleep seven or eight hours, I eat reasonably well and I walk most days.
        But by three in the afternoon I can barely keep my eyes open.
        My GP ran blood tests and everything came back normal.
        I am not really worried, just fed up of feeling like a zombie.

        Anyone else find the new update to {app} really confusing?
        They moved the search button, the settings are now under three different menus, and my saved lists have a new layout.
        I am sure I will get used to it eventually.
        But right now it takes me twice as long to do anything.

        Starting to regret buying a house with a big garden.
        It looked idyllic in the spring when we viewed it.
        Now it is August, the grass grows faster than I can cut it, and the hedge has eaten the path.
        I spend every weekend doing yard work and still it looks a mess.
        Tips for low-maintenance gardening very welcome.

        My best friend moved to {abroad} last month and I am finding it harder than I expected.
        We still message every day, but it is not the same as meeting for coffee on a Thursday.
        I know she is having a great time, and I am happy for her, really.
        I just miss her, and the city feels a bit emptier.

        Our wedding venue has gone into administration six months before the date.
        We may or may not get the deposit back.
        Honestly, I am less upset than I expected. Mostly just tired.
        Has anyone found a venue at short notice for about eighty people?
    """),
    NEU: _passages("""
        What is the best way to store winter tyres over the summer?
        I have a set of four on alloy rims and only a small garage.
        Should they be stacked flat or stood upright, and do I need covers?

        Need recommendations for a reliable estate car for a family of five plus a large dog.
        Budget is around £12,000 second-hand.
        We do mostly motorway miles and one long trip to the coast each summer.
        Petrol or diesel would both be fine.

        I am trying to work out whether to repair or replace a nine-year-old washing machine.
        The repair quote is £140 for a new drum bearing.
        A comparable new machine costs about £350.
        What would you do in my position?

        How do I get a copy of my birth certificate if I was born abroad?
        I need it for a passport renewal, and my original was lost in a move.
        I was born in {abroad} to parents who were both citizens here at the time.

        Does anyone run a small allotment society and have a template for a tenancy agreement?
        We have twenty plots and have been running on handshakes for years.
        The new landowner has asked us to put things on a more formal footing.

        Question about tax on a side income from selling crafts online.
        Last year I made about £1,800 from the shop, and expenses were roughly £600.
        Do I need to register as self-employed, or is there an allowance that covers this?

        Moving house in {month} with two cats. How did you handle it?
        The new place is about three hours away by car.
        Did you keep them in one room for the first week, and how did you get them to eat and drink on the journey?

        Best way to learn touch typing as an adult?
        I type with four fingers and it is holding me back at work.
        Happy to practise twenty minutes a day.

        What is the current advice on wallpapering over old paint?
        The walls are painted with a silk emulsion, about fifteen years old.
        Do I need to sand it, use a primer, or just size it?
    """),
    MIX: _passages("""
        Went to my twenty-year school reunion last night and my feelings are all over the place.
        It was wonderful to see some people I had lost touch with, and a couple of them were exactly the same.
        But one of my closest friends from back then did not recognise me, and another has died, which nobody had told me.
        I drove home feeling happy and sad at the same time.
        Does anyone else find reunions this strange?

        We finally sold the family house after Mum died.
        The buyers are a young couple with a baby, and they said they fell in love with the garden she planted.
        That made me really happy, and then I cried for an hour in the car.
        It feels like the end of something, even though we all knew it was coming.

        My teenager wants to leave school at sixteen to start an apprenticeship.
        Part of me is proud of him for knowing what he wants.
        Part of me is terrified he is closing doors he will not be able to reopen.
        He is a sensible kid and the apprenticeship is with a good firm.
        How do I support him without projecting my own worries?

        Six months sober today.
        Some days are easy now. Some days I want a drink so badly that I have to leave the room.
        I have lost two friendships and gained a relationship with my daughter that I thought was gone for good.
        I just wanted to say it out loud somewhere.
    """),
    POS1: _passages("""
        Tried the slow-cooker chilli recipe someone posted here last week, and it was a hit.
        My kids, who are normally suspicious of anything with beans, had seconds.
        I added a square of dark chocolate as suggested, and I see why now.
        Thanks for sharing.

        Update on the loft insulation: done, and the difference is noticeable already.
        The upstairs rooms stay warm for much longer in the evening.
        It took two weekends and a lot of itchy arms, but it was worth it.
        Thanks to everyone who answered my question about ventilation.

        After three months of job hunting I have two interviews next week.
        Nothing certain yet, but it feels good to be moving.
        Any last tips for video interviews would be appreciated.

        Our village book club is looking for new members.
        We meet in the back room of the pub on the last Thursday of the month.
        We read everything from crime to poetry, and nobody minds if you have not finished the book.
        All welcome.
    """),
    POS2: _passages("""
        Our daughter said her first word today, and it was "dog".
        Not mum, not dad. Dog.
        The dog, to be fair, looked extremely pleased with himself.
        We are over the moon, even if we are slightly insulted.

        After four rounds of IVF, we are finally pregnant, and the twelve-week scan was perfect.
        I have been reading this forum silently for years, through every disappointment.
        Your stories got me through some very dark nights.
        I am so happy I do not know what to do with myself.

        I restored my grandfather's 1960s motorbike and took it out for the first time today.
        It took three years, a lot of parts from strangers on this forum and more swearing than I care to admit.
        It started on the second kick.
        I rode it to the cemetery and sat by his grave for a while. I think he would have been proud.

        My mum finished her last round of chemo today and rang the bell.
        The nurses lined the corridor and clapped her out.
        She has been so brave through all of it, and I have never loved anyone more.
        Thank you to everyone here who sent kind words over the past year.
    """),
}

FORUM_SHORT_MORE = _marked_lines("""
    = How do you get candle wax out of a wool rug?
    = Is it worth paying extra for a cashback credit card if I pay it off every month?
    = What is everyone reading this month?
    ~ Does anyone else's cat wake them at 5 am precisely, every day, like clockwork?
    = Looking for a reliable electrician in {place}. Recommendations welcome.
    = What time does the Sunday market in {place} actually get going?
    - My sourdough is flat as a pancake every time. What am I doing wrong?
    = Why does my car make a whining noise when I turn the steering wheel?
    - Is there a way to stop the neighbour's security light shining straight into our bedroom?
    ~ Hot take: pineapple on pizza is fine and everyone needs to calm down.
    - I have been on hold with the tax office for 73 minutes. Send snacks.
    = Does anyone know how to turn off autoplay on the new TV interface?
    ++ The new bakery on the high street is fantastic. Go before the queues get silly.
    ~ Just realised I have been pronouncing "quinoa" wrong for ten years.
    ++ Proud dad moment: my son stood up for a kid being bullied today.
    ++ My partner and I have been together ten years today. Still my favourite person.
    = Can anyone recommend a good, cheap vet in the {place} area?
    = Is a 40-minute commute each way worth it for a £5k pay rise?
    -- Our boiler died on the coldest night of the year. Of course it did.
    = What do you do with all the cardboard from online orders?
    - Genuinely baffled by people who do not return their shopping trolleys.
    = Beginner question: how often should I water a cactus?
    - Just had the most awkward haircut of my life. The barber told me his life story and gave me a fringe I did not ask for.
    ~ Seeking advice: my elderly neighbour keeps knocking for help with her phone. Happy to help, but it is getting a bit much.
    - I miss the old version of this forum, when people actually read the question before answering.
    ~ Three weeks into a new job and I still do not know where the toilets are on the second floor.
    - Is anyone else unable to log in since this morning?
    = Can someone translate what my mechanic said? "Your CV boot has perished."
    ~ Ate at a place that served chips in a tiny shopping trolley. I have never felt older.
    - Scared to get my eyes tested because I know it will be bad news. Ridiculous, I know.
""")

FORUM_REPLIES_MORE = _marked_lines("""
    = Bicarbonate of soda and vinegar will clear most blocked drains. Then boiling water.
    - Everyone in here telling you to quit is not paying your rent. Think it through.
    ++ This thread is a goldmine. Saving it.
    = I work in HR and my advice would be to document everything before you raise it.
    -- Sorry, but you are the problem here. Ask the neighbour nicely before you complain to the council.
    + Your cat is perfectly normal. They are all tiny dictators.
    ~ Well, that escalated quickly.
    + Good luck tomorrow! Slow down at roundabouts and check your mirrors more than you think you need to.
    ++ So pleased for you. I remember your first post here.
    = Please speak to a doctor about this, not strangers on the internet.
    = The council has a free bulky waste collection once a year. Worth asking.
    - I would not trust any review site that lets companies pay to remove bad reviews.
    -- My heart sank reading this. I hope they catch whoever did it.
    + Try the library's online courses. Free, and surprisingly good.
    + Ha! My dog did exactly the same with a whole birthday cake.
    = That is not a scam as far as I can tell. The company is legitimate.
""")

FORUM_REPLIES = _marked_lines("""
    + This happened to me too. Call the council's environmental health team; they were brilliant with us.
    - I am so sorry for your loss. Fourteen years is a long, lucky life, and she was lucky to have you.
    ++ Congratulations! All that hard work paid off.
    = Honestly, just talk to him. Most people have no idea they are being annoying.
    = You are not being unreasonable. Ask for a replacement in writing.
    = Contact your bank's fraud team again and ask them to log it as an authorised push payment scam. Keep pushing.
    ~ Same here. I thought I was the only one.
    ++ That is brilliant news, well done you.
    = Have you checked whether it is still under warranty? Most are for two years.
    - I would not touch that with a bargepole, sorry.
    = Your landlord is legally required to fix heating within a reasonable time. Put everything in writing.
    ++ This made me smile on a really grim day. Thank you for posting.
    - Not to be that person, but did you read the manual? It is covered on page 12.
    + Ignore the negative replies. You did the right thing.
    = Steel wool, then wash, dry it on the hob, wipe with a thin layer of oil and bake upside down. Good as new.
    ~ I moved abroad for work in my thirties and it was the best decision I ever made, but the first six months were hard.
    = Sounds like a failing thermostat. Cheap part, easy fix if you are handy.
    - I am getting anxious just reading this. I hope it works out for you.
    - Big hugs. Grief for a pet is real grief, whatever anyone says.
    = Which model is it? Some of them have a known fault with the pump.
    ++ This is the kind of post that keeps me coming back to this forum.
    -- Wow. That is appalling. Name and shame them.
    = I had the same problem and the fix was a new washer, nothing more.
    + Please do not feel stupid. These scammers are professionals and they target clever people too.
    ++ Adopted a greyhound three years ago. Best decision of my life. Enjoy every minute.
    = Loft insulation: leave a gap at the eaves for airflow, and do not squash it when you board.
    + Welcome to the club! The first year is the hardest.
    = I would just wait. Prices always drop in August.
    = Not sure this is the right place to ask, but have you tried the library? They often lend these out.
    - Honestly, that sounds exhausting. Be kind to yourself.
    + I trust my local independent shop for this kind of thing. They will tell you if it is not worth fixing.
    + Haha, I did exactly the same thing last year.
    + You have handled this far more calmly than I would have.
    + This is really useful, thanks for taking the time to write it up.
    ++ Your post made me tear up a little. So happy for you.
    - Be careful, that website has a lot of complaints about never delivering.
    = A good starting point is the free guide from the citizens' advice service.
    - Nope, not normal. Get it checked.
    ++ Sounds like a lovely day. More of this, please.
    + Honestly, the fact you are worried about this means you are a good parent.
    - I hate to say it, but this is why I stopped booking through third-party sites.
    ~ It gets easier. Not quickly, but it does.
    = Fair point, I had not thought of that.
    + Thanks, I will give that a try tonight and report back.
    = Following, because I have exactly the same question.
    = Surprised nobody has mentioned the obvious: check the fuse first.
    ~ I read this with my heart in my mouth. Glad everyone is okay.
    - Mods, can we please have a pinned thread for this? It comes up every week.
    ~ Just wanted to say that you are not alone. A lot of us feel this way.
    + My experience was the opposite, for what it is worth. The company sorted it in a day.
""")

# Replies that fit any thread of a given tone, for thread pages.
THREAD_REPLIES = {
    POS2: _lines("""
        Congratulations! That is brilliant news.
        This made my whole day. Well done, you.
        So happy for you! You deserve every bit of it.
        Amazing. Thank you for coming back to share the good news.
        Ahh, this is wonderful. Enjoy every minute.
        I have tears in my eyes reading this. Congratulations.
        What a lovely post to read on a Monday morning.
        Yes!!! Brilliant. Celebrate properly.
    """),
    POS1: _lines("""
        Nice one! Thanks for the update.
        Good to hear it worked out.
        Great tip, I am going to try that.
        Love this. Small wins count.
        Thanks for posting this, it is useful to know.
        Good luck, hope it keeps going well.
    """),
    NEU: _lines("""
        Following, as I have the same question.
        Not sure, but the official website usually has the details.
        I would ring them and ask; in my experience they are helpful on the phone.
        There was a thread about this last month, worth a search.
        Depends a lot on your budget, to be honest.
        I did this last year. Happy to answer questions by message.
        Have a look at the pinned guide at the top of the forum.
        Good question. I would like to know too.
    """),
    MIX: _lines("""
        That sounds like a lot to process. Be kind to yourself.
        It is normal to feel two things at once. Both are real.
        I went through something similar and it did get easier, though slowly.
        You sound like you are handling it really well, for what it is worth.
        Mixed feelings are completely understandable here.
        Give it time. You do not have to decide how you feel right away.
    """),
    NEG1: _lines("""
        That is really annoying. Hope it gets sorted soon.
        Ugh, I have been there. It is exhausting.
        You are not being unreasonable at all.
        Sorry you are dealing with this. Keep a record of everything.
        Not fun. Hope the week gets better from here.
        Same thing happened to me. It does eventually improve.
    """),
    NEG2: _lines("""
        I am so sorry. That is awful.
        That is outrageous. Please report them.
        Sending you a huge hug. Please do not blame yourself.
        This makes me so angry on your behalf.
        I am so sorry you are going through this. You are not alone.
        That is disgusting behaviour. You deserve much better.
        Please look after yourself, and reach out to someone close if you can.
        Honestly horrified reading this. I hope you get justice.
    """),
}


# ---------------------------------------------------------------------------------------------------
# Chat messages: short, informal, emoji, typos
# ---------------------------------------------------------------------------------------------------

CHAT = {
    POS2: _lines("""
        OMG we got the flat!!! 🎉🎉🎉
        best day everrr 😭❤️
        she said YES 💍💍
        just passed my driving test first time!!!! 🚗🎉
        u are literally the best friend anyone could ask for 🥹
        cant stop smiling, the scan went perfectly 💕
        WE WON 4-1 GET IN 🔥🔥
        thank u so much for yesterday, it meant the world ❤️
        love u loads, see u sunday xx
        just tried the cake u made and im in heaven 😍
        got the scholarship!!!! mum is crying, i'm crying, the dog is confused
        omg the puppy is HOME 🐶🐶
        this is the happiest ive been in ages honestly
        i'm so proud of you, you absolute legend 👏👏
        that concert was unreal, still buzzing
        he proposed on the beach at sunset, i cant even 😭💍
        holiday booked!! 2 weeks of sun here we come ☀️🌴
        grandma is out of hospital and cracking jokes already 😂❤️
        ur the best, seriously
        I LOVE IT. I LOVE IT SO MUCH
    """),
    POS1: _lines("""
        that was fun, we should do it again
        nice one 👍
        thanks, that helps a lot
        sounds good to me
        cool cool, see u there
        haha love that
        not bad at all tbh
        aw thats sweet of you
        glad you got home ok x
        ok that actually made me laugh 😂
        yeah dinner was nice, pasta was good
        looking forward to friday 🙂
        thx for the lift!
        hope ur feeling better today x
        fair enough, makes sense
        ooh good shout
        tbh it went better than i thought
        lol yes exactly
        cheers mate
        sure, happy to help
        yay
        ahh that's lovely
        i think it'll be fine, honestly
        weekend plans: sofa, pizza, zero alarms 😌
    """),
    NEU: _lines("""
        ok
        see you at {time}
        running 5 min late
        on my way
        where r u parked?
        can you send me the address again
        what time does it start
        meeting moved to {time} tomorrow
        did u get my email
        I'll be at the front entrance
        bus is at 8:12
        can u grab milk on the way back
        which platform?
        call me when u land
        just parked
        the code for the door is 4417
        k
        yep
        noted
        sent
        what's the wifi password
        at the station now
        fine by me
        is it the blue one or the grey one?
        left ur charger on the table
        kids have swimming at {time} on {day}
        dinner at 7?
        can we do {day} instead
        here
        ok will do
        got it thanks
        reminder: bins go out tonight
        shall I book a table for 4
        doors open at {time}
        text me when ur outside
        what's the name of that place again
        package came today
        are we still on for {day}?
        i'm in the queue, 3 people ahead
        tickets are in ur inbox
        back in 10
        brb
        how many are coming?
    """),
    MIX: _lines("""
        got the job but it's in another city 😬
        the party was fun but i'm so tired now lol
        passed the exam, failed the practical 🙃
        love the new place, hate the stairs
        honestly idk how i feel about it
        the food was amazing but the bill 😳
        happy for her but gonna miss her so much
        bittersweet day tbh
        it's fine. it's fine. i'm fine
        yeah it's good news i guess? weird day
        finished the project!! now what do i do with my life lol
        cute dog, terrible name
    """),
    NEG1: _lines("""
        ugh monday
        train cancelled again 🙄
        meh
        kinda gutted we didnt win
        not feeling great today
        i'm so tired of this weather
        missed the bus by like 10 seconds
        that's a bit annoying tbh
        sigh
        can't be bothered with anything today
        hmm not sure about that
        rain again. obviously
        my back is killing me
        bit disappointed ngl
        forgot my lunch 😩
        wifi is being useless again
        the meeting could have been an email
        i miss u guys
        kinda lonely tonight
        dont think i'll make it, sorry
        exam tomorrow and i know nothing 😬
        bit nervous about the interview tbh
    """),
    NEG2: _lines("""
        i am SO done with this landlord 😡😡
        he cheated. with my best friend. i cant breathe
        are you kidding me?? they cancelled the whole trip
        worst day of my life honestly
        can't stop crying
        grandad passed this morning 💔
        someone keyed my car. who DOES that
        im actually scared, someone has been outside the house for an hour
        that was disgusting, i nearly threw up 🤢
        how dare she say that to you
        i hate this job i hate this job i hate this job
        the test results came back and it's not good 😔
        they fired me. no warning. nothing
        i feel sick, i think i lost my passport at the airport
        im so angry i could scream
        nobody came to my party 😞
        what the actual hell was that ref doing
        the smell in the kitchen is vile, something died behind the fridge
        feel like everything is falling apart
        stop texting me. seriously.
    """),
    "trust": _lines("""
        i trust u, do what u think is best
        ur the only one i'd tell this to
        dont worry, i've got your back
        i know you'll sort it, you always do
        tell him i said it's fine, he can borrow the car
        the mechanic is good, been going there 10 yrs
    """),
    "anticipation": _lines("""
        2 more sleeps!!! ✈️
        cant wait for saturday
        counting down the days tbh
        results out tomorrow 😬🤞
        just 1 more shift and then HOLIDAY
        new season drops friday, clear your schedule
        so ready for this weekend
        ooh what's the surprise??
    """),
    "surprise": _lines("""
        WAIT what?? since when
        no way 😮
        omg did NOT see that coming
        u what?? they're getting married??
        bro how did you even do that
        hold on, he's your COUSIN?
        i just found £20 in my old coat lol
        plot twist: the cat was in the wardrobe the whole time
    """),
}

CHAT_GREETINGS = _lines("""
    hey
    hiya
    morning!
    yo
    hi {name}
    {name}!!
    oi
    hey hun
    hello hello
""")

CHAT_TAILS = _lines("""
    x
    xx
    😂
    🙂
    lol
    !!
    ...
    🙏
    😅
    tbh
    haha
    ❤️
""")

CHAT_MORE = {
    POS2: _lines("""
        SHE GOT IN!!!!! first choice uni 🎓🎉
        omg thank youuuu the flowers are gorgeous 😭💐
        hes home safe, thank god. so relieved
        just held my niece for the first time 🥹🥹
        we did it!! house keys in hand 🔑🏡
        best. birthday. ever.
        crying happy tears rn
        u absolute star, i owe u big time
        the results are clear!!! all clear!!! 🙏❤️
        soooo proud of my little bro today 🏅
    """),
    POS1: _lines("""
        that's really kind, thank u
        no worries at all
        good luck today! u got this 💪
        just had the best nap
        mm that sounds nice
        ha go on then
        lovely to see you earlier x
        yeah i'm feeling a bit better now
        ok that's a relief
        fab, thanks!
        yesss pizza night
        i reckon it'll work out
        proud of u x
        heading to the beach later ☀️
        easy, done
    """),
    NEU: _lines("""
        meeting room 3, not 4
        lemme check and get back to u
        can u send the file again, it didnt open
        whats ur eta
        parking at the back
        he said thursday
        do u need anything from the shop
        shall i bring chairs
        train gets in at 6.40
        which one is yours
        i'll ring u after lunch
        Zoom link is in the calendar invite
        still at work, will text later
        wait for me at the gate
        whos driving
        lights are off, front door key under the pot
        its on the second floor
        ok 👍
        the plumber is coming between 8 and 12
        room booked for 2pm
    """),
    MIX: _lines("""
        well that went... interesting 😅
        half of me wants to go, half wants to stay in bed
        good news and bad news. which first?
        he apologised but like. idk
        nice weather, shame im stuck inside
        the kids loved it, my wallet did not
    """),
    NEG1: _lines("""
        cant sleep again
        eh not really in the mood tonight
        that's a shame
        bit rubbish tbh
        running out of patience with this laptop
        nobody replied to my message 😕
        i think i'm coming down with something
        urgh the queue is massive
        slightly annoyed they didnt invite me
        meh. could be worse
        so much homework 😩
        i'm a bit worried about mum tbh
    """),
    NEG2: _lines("""
        i literally cannot believe he said that to me
        THE FLIGHT IS CANCELLED. WE'RE STUCK HERE
        someone stole my bike. AGAIN
        feeling really low, can u call me
        i'm shaking, nearly got hit by a car just now
        they put my dog down without telling me 💔
        this is so unfair, i did nothing wrong
        ew there's a maggot in my salad 🤮
        i'm scared to go home tbh
        i'm done. actually done.
    """),
}

CHAT_TAILS_BY_TONE = {
    POS2: ("!!", "🎉", "❤️", "😭😭", "omg", "xx"),
    POS1: ("x", "🙂", "haha", "😊", "lol", "👍"),
    NEU: ("x", "thx", "pls", "👍", "ta"),
    MIX: ("lol", "😅", "idk", "🙃", "..."),
    NEG1: ("😩", "ugh", "...", "😕", "tbh"),
    NEG2: ("😔", "😡", "💔", "!!!", "seriously"),
}

CHAT_EXTRA = _marked_lines("""
    = I'll be there in 20
    = can u feed the cat tonight? key's in the usual place
    = did u book the taxi or shall i
    = we're in the back room
    = order me a flat white pls
    = no rush
    = just checking, is it tomorrow or thursday?
    = the form's due friday
    = send pics of the flat when u can
    = mum says dinner's at 6
    = on the train, signal's bad
    = gonna be a bit late, traffic
    = rota's up on the fridge
    = want me to pick u up?
    = whats the plan for tomorrow
    = i've moved the meeting to teams
    = charger's in my bag
    = we need more bin bags
    = which size did u want
    = let me know when ur free
    + haha ur mad
    + that's so cute 🥺
    + yay ok see u soon
    + omg yes pls
    + ahh thank u thats so kind
    + that film was actually really good
    + not gonna lie, i'm kinda excited
    + miss u, let's catch up soon x
    + it's fine, honestly, don't worry about it
    + had such a nice time today
    + i wouldn't say no to a takeaway 😏
    + ok ur right, i owe u a pint
    ++ i'm literally the happiest person alive rn
    ++ BABY IS HERE!!! 7lb 2oz, both doing great 💙
    ++ i got the promotion!!!!
    ++ thank you thank you thank you 😭
    ++ he remembered our anniversary AND booked the place 😍
    ~ lol i got lost on the way but found a great café
    ~ she's nice but she talks a LOT
    ~ ok so the good news is the car's fixed. the bad news is the bill
    ~ wasn't what i expected tbh, not sure if good or bad
    ~ i said yes but now im panicking 😂
    - i think he's ignoring me
    - long day. so ready for bed
    - can't find my keys anywhere 😤
    - it's freezing in this office
    - ugh i have to redo the whole report
    - missed u at the party
    - the train smells like feet
    - i feel a bit left out tbh
    - rly not looking forward to monday
    - my phone's on 3% and i'm lost
    -- i can't do this anymore
    -- she screamed at me in front of everyone
    -- my flight home got cancelled and there's nothing till tuesday 😭
    -- how could u not tell me
    -- theres literally mould on the bread i just ate 🤢
    -- i'm honestly terrified of the results
    -- worst date of my life, he was so rude to the waiter
    -- our landlord's selling. we have 2 months to find somewhere
    ~ wait, is that legal?? 😂
    = ok, np
    = sure
    = k thx
    = 10 mins
    = yes
    = no
    = maybe
    = lemme check
""")


# ---------------------------------------------------------------------------------------------------
# Mixed-genre prose: fiction narration, letters, diary and blog, essays, travel writing
# ---------------------------------------------------------------------------------------------------

FICTION = _marked_passages("""
    @+
    The kettle had boiled twice before Margaret remembered why she had come into the kitchen.
    Outside, the first snow was settling on the roof of the shed.
    She stood at the window with the cup warming her hands and let herself, for once, do nothing at all.
    Somewhere in the house a clock was ticking, and the sound was almost companionable.

    @--
    Eli ran until his lungs burned and the lights of the village were a smear behind him.
    He did not dare look back.
    The footsteps had stopped, but that was somehow worse than hearing them.
    He crouched behind a wall, pressed his hand over his mouth and listened to the dark.

    @-
    The letter had been opened and resealed; anyone could see that.
    Constance turned it over twice, her jaw tight.
    Somebody in this house had read her private correspondence, and she intended to find out who before supper.

    @++
    On the morning of the wedding the sun came up as if it had been ordered specially.
    Anna's grandmother arrived first, in a hat the size of a cartwheel, and announced that she intended to dance until midnight.
    Nobody doubted her.
    By noon the garden was full of laughter, borrowed chairs and small children hiding under the tables.

    @--
    The ship's doctor came up on deck at dawn, grey in the face.
    Two more of the crew had the fever, he said, and the water would not last another week.
    The captain said nothing for a long time.
    Then he ordered the sails trimmed for the islands and went below without another word.

    @-
    He opened the fridge and recoiled.
    Whatever had once been in the blue dish was now a living thing, furred and faintly moving.
    He closed the door again, very gently, as if it might follow him.

    @~
    She had waited eleven years to hear her father say he was proud of her.
    When he finally said it, in the hospital car park, in the rain, she found she had nothing to say back.
    They stood there for a while, two people who had run out of arguments.
    Then he took her arm, and they walked to the car together.

    @=
    The trial began on a Monday, in a courtroom that smelled of floor polish.
    Mr Pryce sat very straight, his hands folded, as though good posture might prove his innocence.
    The jury filed in without looking at him.

    @~
    Nobody in Fennick could remember when the lighthouse had last been lit.
    The children said it was haunted, the adults said it was dangerous, and the gulls treated it as their own.
    So when a light appeared at the top one Tuesday night in October, the whole village came out to stare.

    @~
    Tom laughed so hard at his brother's story that he fell off the bench.
    Their mother pretended to disapprove and then laughed too, wiping her eyes with a tea towel.
    Years later, when the house was sold and the family scattered, that was the evening he remembered.

    @-
    The stranger at the bar said he knew the way through the pass, and that he would take them for a fair price.
    Ruth did not like his eyes, or the way he kept glancing at their horses.
    But the snow was coming, and they had no one else.

    @++
    It was a small house at the end of a long lane, with a blue door and a crooked chimney.
    Wren had seen it a hundred times from the bus.
    She had never imagined that one day the key would be in her pocket.

    @--
    For three weeks the rain did not stop.
    The river rose, the lower fields drowned, and the farmer's wife stopped speaking at meals.
    When at last the clouds broke, nobody cheered; they simply went outside and looked at what was left.

    @+
    The new teacher was late on her first day, soaked, and missing one shoe.
    Thirty children stared at her in perfect silence.
    Then a small boy in the front row began to clap, and the rest joined in, and she decided she would stay.

    @=
    The house was for sale, and had been for years.
    Its garden had gone wild, its windows were dark, and its gate hung from a single hinge.
    Estate agents described it as full of potential.
    Local people described it in other ways.

    @-
    He did not believe in ghosts, he told himself, as the door creaked open on its own for the third time.
    He did not believe in ghosts, and he was leaving anyway.
""")

LETTERS = _marked_passages("""
    @++
    Dear {name},
    Thank you so much for the flowers, which arrived on the worst day of a difficult week and made me cry in the nicest possible way.
    The tulips have opened fully now and the kitchen smells of spring.
    I am doing better, truly, and I will ring you on Sunday when I have a little more energy.
    With all my love, Maggie

    @-
    Dear Sir or Madam,
    I am writing to complain about the condition of the pavement outside number 14, Alder Road.
    Since the works in March, the surface has been broken and uneven.
    My neighbour, who is 84, fell there last week and cut her head.
    I reported the problem twice in April and received no reply.
    I expect the repair to be carried out without further delay.
    Yours faithfully, R. Pryce

    @+
    Dear Mum and Dad,
    The first week here has flown by.
    The college is enormous, and I got lost three times on the first day, but everyone has been friendly.
    My room is small and looks out over a car park, which is less romantic than the brochure.
    I miss your cooking more than I will admit in person.
    Please give the dog a hug from me.
    Love, {name}

    @-
    Dear {name},
    I am sorry it has taken me so long to reply.
    The truth is that I did not know what to say after your news, and every draft of this letter sounded wrong.
    I think about you every day, and about your mother, who was one of the kindest people I have ever met.
    If there is anything at all you need, even just company, please ask.
    Yours always, Teodor

    @+
    To whoever finds this,
    I am leaving this note in the wall of the house we have lived in for thirty-one years.
    We raised three children here, buried two dogs in the garden, and argued about the colour of the hall more times than I can count.
    It was a good house, and we were happy in it.
    Look after it.

    @=
    Dear Ms {surname},
    Further to our telephone conversation, I confirm that your appointment has been rescheduled to {weekday} 14 {month} at 10.30 am.
    Please bring a form of identification and arrive ten minutes early.
    If you need to change the time, call the number at the top of this letter.
    Kind regards, Patient Services

    @~
    Dear Aunt Rosa,
    You will not believe it, but I have finally learned to make your bread.
    It took nine attempts, one small kitchen fire and a great deal of swearing.
    The last loaf was almost as good as yours, and I ate half of it standing at the counter.
    I wish you could have tasted it.
    Your loving niece

    @~
    Dear {name},
    I have thought hard about what happened at the meeting, and I owe you an apology.
    I spoke over you, and I dismissed an idea that turned out to be right.
    That was unfair, and I am sorry.
    I hope we can talk properly next week.
    Best wishes, Anders

    @=
    Dear neighbours,
    A reminder that the residents' association meets on the first Tuesday of each month in the church hall at 7 pm.
    This month we will discuss the parking survey and the summer fair.
    Tea and biscuits will be provided.

    @-
    My darling,
    The house feels enormous without you.
    I set two cups out this morning before I remembered.
    The garden is full of the roses you planted, and I cannot bring myself to cut a single one.
    Come home soon.
""")

DIARY = _marked_passages("""
    @+
    Tuesday. Woke at six with a headache and a sense of doom about the presentation.
    It went fine. Better than fine, actually: the client asked good questions and nobody fell asleep.
    Celebrated with chips on the walk home.
    Why do I always expect the worst?

    @+
    Day 12 of the sourdough experiment.
    The starter, whom I have named Gerald, has finally started to bubble.
    My flatmates think I have lost my mind.
    They may be right, but they will not be getting any bread.

    @~
    I have been putting off writing this post for weeks because I did not want to admit that the shop is closing.
    After six years, the rent rise and the energy bills have simply been too much.
    I am heartbroken, but I am also grateful for every customer who walked through the door.
    Thank you for the conversations, the cakes you brought on my birthday and the dogs you let me fuss over.
    The closing sale starts on Saturday.

    @+
    A quiet Sunday. Read in the garden, repotted the basil, phoned Dad.
    Nothing happened, and it was lovely.

    @--
    Today I found out my best friend has been talking about me behind my back for months.
    I keep replaying every conversation we have had this year, wondering which parts were real.
    I am angry, but mostly I am hurt.
    I do not know whether I want an apology or never to see her again.

    @++
    Three months since the surgery, and today I walked to the end of the pier and back without stopping.
    The physio said it would take six months.
    I stood at the end and watched the boats for a while and felt something I had almost forgotten: hope.

    @~
    Blog update: the garden project, week 20.
    The raised beds are finished and the first courgettes have appeared.
    The slugs have eaten every single lettuce, which I am choosing to see as a lesson in humility.
    Next week I will try copper tape and a great deal of optimism.

    @-
    Couldn't sleep again.
    Lay awake listing everything that could go wrong with the move, then everything that could go right.
    The first list was longer.
    At four I gave up, made tea and watched the sky turn grey.

    @-
    We went back to the beach where we scattered Dad's ashes.
    The café he liked has closed, and the pier has a new coat of paint.
    My daughter built a sandcastle and put a shell on the top for him.
    I did not cry until we were back in the car.

    @~
    Cleared out the spare room today and found a box of letters from my first love.
    I read every one of them sitting on the floor, and laughed at how serious we both were.
    I kept two and recycled the rest.

    @~
    Note to self: the recipe says a pinch of chilli, not a teaspoon.
    My mouth is still on fire.
""")

ESSAYS = _marked_passages("""
    @=
    The history of the bicycle is, in many ways, a history of freedom.
    When cheap bicycles became available in the 1890s, millions of people could suddenly travel beyond their own villages.
    Women in particular found in the bicycle a new kind of independence, as well as a reason to abandon restrictive clothing.
    It is no exaggeration to say that the bicycle changed who married whom.

    @=
    Boredom has a bad reputation, but it may be one of the most useful states a mind can enter.
    When nothing demands our attention, we begin to wander, and wandering is where new ideas tend to come from.
    The trouble with constant entertainment is not that it makes us stupid; it is that it never leaves us alone.

    @=
    Photosynthesis converts light energy into chemical energy stored in glucose.
    In most plants, the process takes place in the chloroplasts of leaf cells.
    Water and carbon dioxide are consumed and oxygen is released as a by-product.

    @=
    We often speak of the past as though it were simpler, but the people who lived in it would disagree.
    Every generation has believed that it faced unprecedented change, and every generation has been partly right.
    Nostalgia tells us more about the present than about the past.

    @+
    The case for public parks rests on more than their beauty.
    Parks lower temperatures in summer, absorb rainwater and give people without gardens somewhere to breathe.
    A city that neglects its parks is not saving money; it is borrowing against its own health.

    @=
    Trust is slow to build and quick to destroy, and institutions forget this at their peril.
    A bank, a newspaper or a government can spend decades earning a reputation and lose it in an afternoon.
    Rebuilding that trust takes far longer than any press office imagines.

    @=
    Why do we cry at sad films?
    One explanation is that stories allow us to rehearse grief in safety.
    We can feel the full force of loss and walk out of the cinema into an ordinary evening.

    @=
    Salt was once so valuable that it shaped trade routes and the location of cities.
    Roman soldiers were sometimes given an allowance to buy it, and whole economies depended on its supply.
    Today it sits on every table and costs almost nothing.

    @~
    Learning a language as an adult is humbling.
    Children make mistakes without embarrassment; adults are terrified of sounding foolish.
    The only way through is to accept, cheerfully, that you will sound foolish for a very long time.

    @=
    The river is the oldest road in the valley.
    Before the railway, goods and people moved along it on flat-bottomed barges pulled by horses.
    The towpath is still there, though now it carries joggers and dog walkers instead of freight.
""")

TRAVEL = _marked_passages("""
    @+
    The old town of {abroad} is best explored on foot, early in the morning, before the tour groups arrive.
    Narrow lanes climb between houses painted ochre, pink and pale green.
    Stop at the bakery near the fountain for an almond pastry and a coffee so strong it should come with a warning.

    @=
    The ferry to {abroad} leaves twice a day in summer and once a day in winter.
    The crossing takes about ninety minutes.
    Book ahead in August, when the boats are often full.

    @++
    I had read that {abroad} was overrated, crowded and expensive.
    It is all of those things, and I adored it anyway.
    On our last evening we sat on the harbour wall with a paper cone of fried fish and watched the lights come on across the water.
    I have rarely felt so content.

    @~
    Nobody warned us about the wind.
    It came off the mountains on our second afternoon, strong enough to knock my husband's hat into the lake.
    We spent the rest of the day in a café drinking hot chocolate and watching the waves.
    It was, in the end, one of the best days of the trip.

    @=
    The bus from the airport to the centre of {abroad} runs every 20 minutes and takes about half an hour.
    Tickets can be bought from the driver in cash.
    Taxis wait outside the arrivals hall and charge a fixed fare to the old town.

    @+
    The hike up to the monastery takes around three hours and is steep in places.
    Bring water: there is nowhere to buy any after the village.
    The view from the top, across the whole valley, is worth every step.

    @++
    Our guesthouse was run by an elderly couple who spoke no English and fed us as though we were their grandchildren.
    Breakfast included four kinds of cheese, homemade jam and a cake that appeared to be mostly butter.
    When we left, the woman pressed a jar of honey into my hands and kissed me on both cheeks.

    @~
    The market in {abroad} is loud, chaotic and not for the faint-hearted.
    Traders shout prices over each other, scooters weave between the stalls, and the smell of the fish section hits you from fifty metres.
    I loved every minute, although my partner had to sit down in a quiet café afterwards.

    @--
    I wanted so badly to love {abroad}, but the trip was a disappointment from start to finish.
    The beach in the brochure was covered in seaweed and plastic.
    The famous seafront restaurants all served the same frozen prawns at eye-watering prices.
    On the last day it rained, and I was almost relieved to go home.

    @=
    The museum is closed on Mondays and open until 9 pm on Thursdays.
    Entry is free on the first Sunday of each month.
    Allow at least two hours for the main collection.

    @++
    Night falls quickly in the desert.
    One minute the dunes are gold, the next they are blue, and then the stars come out in numbers I did not know were possible.
    Our guide lit a small fire, made sweet tea and told us stories about his grandfather, who crossed these sands with camels.
""")

MIXED_SENTENCES = _marked_lines("""
    = The committee will reconvene after the summer recess.
    = He folded the map carefully and put it back in the glove compartment.
    = The orchard was planted by the monks in the fourteenth century.
    -- I am not sure I will ever forgive myself for missing her last phone call.
    ++ It was the kind of afternoon that made you believe in summer again.
    = The village has one shop, one pub and a bus twice a week.
    -- She read the verdict twice before the meaning sank in.
    + There is nothing quite like the smell of a bookshop on a rainy day.
    = The recipe serves four and takes about forty minutes.
    = Please find attached the minutes of last week's meeting.
    -- I have never been so frightened as I was on that staircase.
    = The results of the survey will be shared at the next meeting.
    - After the storm, the beach was littered with driftwood and broken crates.
    + I think, on balance, that we made the right decision.
    - The boys were sent home from school for fighting, and their mothers were furious with each other.
    ++ He had a way of laughing that made everyone in the room laugh too.
    = The castle was rebuilt twice after fires in the sixteenth century.
    - Grief, she discovered, did not arrive all at once; it came in small, unexpected waves.
    - The instructions were unclear, and the wardrobe now leans slightly to the left.
    = It is a modest hotel, clean and quiet, on a street of similar buildings.
    + The neighbours have planted sunflowers along the whole length of the fence.
    ++ I can hardly believe that we have been married for forty years.
    + Write to me when you arrive, even if it is only a postcard.
    - The fog rolled in from the sea and swallowed the harbour whole.
    ~ She trusted him completely, which, in hindsight, was the problem.
    = Rent is due on the first working day of each month.
    = The mayor cut the ribbon to polite applause.
    ~ Nobody expected the quiet boy from the back row to win the prize.
    = The path continues along the cliffs for another two miles before dropping to the cove.
    -- I was disgusted by the way they spoke to the waitress.
""")

FICTION_MORE = _marked_passages("""
    @--
    The call came at ten past three in the morning, which is the hour when only bad news travels.
    Nadia listened, said thank you, and put the phone face down on the bedside table.
    For a long time she did not turn on the light.
    She lay in the dark and listened to her husband breathing and tried to memorise the last ordinary moment of her life.

    @++
    The first time Felix saw the sea, he was seven years old and had been promised it for a month.
    He ran straight into it in his shoes, screaming with delight, and would not come out until his lips were blue.
    His father stood on the shingle with the towels and laughed until he had to sit down.

    @-
    Mrs Aldous did not approve of the new vicar.
    He wore trainers under his robes, he played the guitar during the harvest festival, and he had once been seen eating chips in the churchyard.
    She wrote to the bishop twice and received a polite, infuriating reply.

    @=
    The train left the city a little after six.
    Most of the passengers were commuters, reading or sleeping against the windows.
    At the second stop a woman with a cello case got on and sat opposite Jonah, and the carriage settled into silence again.

    @~
    On his last day at the factory they gave him a clock, a card signed by people he barely knew, and a cake with his name spelled wrong.
    He thanked everyone, and meant it.
    Then he walked out through the gates for the last time, and could not decide whether he felt free or forgotten.

    @--
    The smell hit them at the top of the cellar stairs: damp, rot and something sweeter underneath.
    Priya put her sleeve over her mouth.
    "We are not going down there," she said, and for once her brother did not argue.

    @+
    Grandpa Joe claimed to have met a king, a film star and a bear, though never all on the same day.
    None of the grandchildren believed him.
    All of them asked to hear the stories again.

    @-
    The café was closing, and the waitress had already put the chairs up on the other tables.
    He had been waiting for two hours.
    When he finally stood to leave, he left a tip far too large, as if to apologise for having hoped.

    @++
    When the results were pinned to the noticeboard, Amara read the list three times to be sure.
    Her name was there, near the top.
    She walked out into the street, grinning at strangers, and phoned her mother from the bus stop, unable to say anything but "I did it, I did it."

    @-
    The dog had been gone for two days when Leo stopped leaving the back door open.
    His mother found him sitting on the step anyway, looking at the gap in the fence.
    She sat down next to him and did not say anything, because there was nothing true that would help.

    @~
    The twins had never agreed on anything, including which of them was older.
    At their sixtieth birthday party, they gave competing speeches and each accused the other of lying.
    The guests could not remember a better evening.

    @--
    The letter from the bank was the third that month.
    Anders read it at the kitchen table, folded it carefully into quarters and put it with the others in the drawer.
    Then he went out to the garden and stood among the cabbages, not thinking, for a very long time.

    @=
    The inspector arrived at nine, as arranged.
    He walked the length of the corridor, measured the doorways and made notes in a small black book.
    At half past ten he shook hands with the headmistress and left without a word about what he had found.

    @+
    The garden was a ruin when they moved in, all brambles and broken glass.
    By the second summer there were beans climbing the fence and a bench under the apple tree.
    Ingrid sat there in the evenings with a cup of tea and felt, at last, that she belonged somewhere.
""")

LETTERS_MORE = _marked_passages("""
    @+
    Dear {name},
    Just a quick note to say thank you for looking after the cat while we were away.
    She is clearly sulking now that we are back, which I take as a sign that you spoiled her.
    I have left a bottle of wine on your doorstep as a small thank you.
    See you at the weekend.

    @--
    Dear Mr {surname},
    I have now written to your company four times about the damage caused by your engineers, and I have had no reply.
    The ceiling in our kitchen has a hole in it, water has ruined the floor, and my children cannot use the room.
    Your engineers left without cleaning up and have not returned my calls.
    If I do not hear from you within seven days, I will take the matter further.
    Yours sincerely, {name} {surname2}

    @=
    Dear Parents and Carers,
    The school will close at 1.30 pm on Friday for staff training.
    Buses will run at the earlier time.
    After-school clubs will not take place that day.
    Thank you for your support.

    @++
    Dear Grandma,
    I passed! All of them! Even maths, which you said I would, and I did not believe you.
    I am going to university in {month}, and you are the first person I am telling after Mum.
    Thank you for every Sunday you spent helping me with my homework at your kitchen table.
    I love you so much.
    {name}

    @-
    Dear {name},
    I am afraid I will not be able to come to the wedding after all.
    The doctors have advised me not to travel for at least another month, and I am heartbroken to miss it.
    Please give my love to everyone, and save me a slice of cake if you can.
    With love and apologies, Aunt Greta

    @~
    Dear {name},
    It is strange to be writing to you from our new house.
    The rooms are bigger and the garden is lovely, but it still does not feel like home.
    The children have made friends already, which is a relief.
    I miss our Thursday walks, and I miss you.
    Write soon.

    @=
    To the Editor,
    Your article of 12 {month} stated that the bridge was built in 1902.
    In fact, work began in 1899 and the bridge opened to traffic in 1901.
    I enclose a copy of the original opening programme for reference.
    Yours faithfully, a regular reader

    @+
    Dear neighbour at number 9,
    Thank you for rescuing our washing from the rain on Tuesday and folding it so beautifully.
    My husband says he has never seen his shirts look so smart.
    We owe you a cake.
""")

DIARY_MORE = _marked_passages("""
    @--
    Worst week in a long time.
    The car failed its test, the washing machine flooded the kitchen, and I had a row with my sister that I cannot stop replaying.
    I keep telling myself it will pass.
    Tonight I am not sure I believe it.

    @++
    I can't believe it: the publisher said yes.
    After nine years of writing in the gaps between shifts, my book is going to be a real book, with a cover and a barcode.
    I ran round the flat shouting and the neighbour banged on the wall, and I did not care one bit.

    @=
    Monday. Dentist at 9.15, then the school run, then the supermarket.
    Paid the council tax.
    Booked the car in for its service on the 14th.

    @-
    The new medication makes everything feel a little muffled, as if I am living under a duvet.
    The panic attacks have stopped, which is good.
    But I miss feeling things sharply, even the bad things.

    @+
    Blog post, week three of the no-spend month.
    So far I have saved about £140, mostly by not buying coffee on the way to work.
    I have also discovered that I own eleven tins of chickpeas.
    Dinner ideas very welcome.

    @~
    Mum's eightieth birthday today.
    She was sharp and funny all afternoon and told the whole table about the time I fell into a pond.
    Then, at the end, she called me by my brother's name, and the room went quiet.
    I held her hand and told her it did not matter.

    @+
    Started volunteering at the animal shelter today.
    A one-eyed cat called Admiral followed me around for the whole shift and sat on my feet whenever I stopped.
    I think I have been chosen.

    @-
    Rain again. Third cancelled match in a row.
    The boys are climbing the walls and so am I.
""")

ESSAYS_MORE = _marked_passages("""
    @=
    Honeybees communicate the location of food through a movement known as the waggle dance.
    The angle of the dance relative to vertical indicates the direction of the food relative to the sun.
    The length of the waggle run corresponds roughly to the distance.

    @~
    It is fashionable to say that handwriting is dying, and perhaps it is.
    But something is lost when we stop writing by hand: the slowness, the crossing out, the physical trace of thought.
    A typed note can be perfect; a handwritten one can be personal.

    @=
    The town was granted a market charter in 1284.
    For the next five centuries, its prosperity depended on the wool trade.
    Many of the grand houses on the high street were built by merchants during that period.

    @+
    Kindness is often treated as a soft virtue, something pleasant but optional.
    In fact, it may be one of the most practical things a society can cultivate.
    Communities with high levels of trust recover faster from disasters, cooperate more easily and waste less time on suspicion.

    @-
    We like to believe that technology has made us more connected.
    Yet surveys of loneliness suggest the opposite, especially among the young.
    It may be that we have confused contact with connection.

    @=
    A bill becomes law only after it has passed through both houses and received royal assent.
    Each house debates the bill in several stages, and amendments may be proposed at committee stage.
    The process can take months or, for controversial legislation, years.
""")

TRAVEL_MORE = _marked_passages("""
    @++
    Nothing prepares you for the first sight of the lake at dawn.
    The water was perfectly still, the mountains were pink, and the only sound was a bell from a church on the far shore.
    I stood on the jetty with my coffee going cold and did not want to move.

    @--
    The hostel in {abroad} was, without exaggeration, the worst place I have ever stayed.
    The sheets were stained, the shower was cold, and someone's dog slept in the corridor.
    At three in the morning a group came back from a bar and sang until dawn.
    I left before breakfast and never looked back.

    @=
    {abroad} is served by two railway stations.
    Trains to the coast leave from the north station; international services use the central station.
    The two are linked by a metro line that runs every five minutes.

    @~
    The famous square was packed with selfie sticks and tour groups, and I nearly turned back.
    Then I wandered two streets away and found a tiny courtyard with an old man feeding pigeons and a bar that served wine for a euro.
    That is the city I will remember.

    @-
    We arrived in {abroad} in the middle of a heatwave, and it was too hot to do anything.
    The museums were crowded, the beaches were worse, and our room's air conditioning gave up on the first night.
    I am sure it is lovely in the spring.

    @+
    The coastal path from the harbour to the lighthouse is about six kilometres and mostly flat.
    We stopped halfway at a beach café for grilled sardines and a cold beer.
    A very pleasant afternoon.

    @=
    Most shops in {abroad} close between one and four in the afternoon and reopen until eight.
    Sunday opening is limited to bakeries and a few tourist shops.
    Tipping is not expected, though rounding up the bill is common.

    @++
    We had given up on seeing the northern lights after four cloudy nights.
    On the last night our host hammered on the door at midnight, shouting at us to come outside.
    The whole sky was rippling green and violet, and we stood in the snow in our pyjamas and wept.
""")

MIXED_SENTENCES_MORE = _marked_lines("""
    = The annual general meeting will take place in the church hall.
    = Each room has a kettle, a desk and a view of the courtyard.
    ++ I have never laughed so hard as I did that night at the kitchen table.
    -- The thought of going back into that house fills me with dread.
    = The novel is divided into three parts, each narrated by a different sister.
    + The new bakery has brightened up the whole street.
    - I was a little hurt that nobody remembered my birthday.
    = The valley is home to some 300 species of butterfly.
    -- He was disgusted to find that the money had been spent on a new car for the director.
    ++ We hugged in the arrivals hall like we had not seen each other in years, which we had not.
    ~ It was a good year, in the end, though it did not feel like it at the time.
    = Lunch will be served at one o'clock in the dining room.
    - The rain had not stopped for a week, and neither had my cold.
    + Thank you for your patience while we updated our systems.
    = The tide comes in quickly here, so check the times before walking out to the island.
    -- I am furious that the school did nothing for months.
    + She had a feeling, as she opened the gate, that this summer would be different.
    = In 1846 the railway reached the town, and its population doubled within a decade.
    ~ Leaving was the right decision, and it still hurts.
    - I doubt the new plan will change anything.
    ++ What a joy it was to see the whole family around one table again.
    = All visitors must sign in at reception.
    -- The silence after the shouting was worse than the shouting.
    + I trust you to make the right call.
    = The painting was bought by the gallery in 1952.
    ~ He was proud of his son, and a little jealous of him.
    - I am not looking forward to the drive tomorrow.
    + The hotel staff could not have been more helpful.
    = The path is steep and can be slippery after rain.
    ++ I can hardly wait to see you all at Christmas.
    -- Something about the way he smiled made my skin crawl.
    = Chapter four covers the causes of the war.
""")

# Longer pieces (roughly 100 to 200 words) written whole.
MIXED_LONG = _marked_passages("""
    @~
    The summer I turned twelve, my grandfather decided to teach me to sail.
    He had not been on a boat in thirty years, and I had never been on one at all.
    We borrowed a dinghy from a man at the yacht club who clearly thought we were both mad.
    On the first day we capsized twice, and my grandfather lost his glasses, his hat and most of his dignity.
    On the second day we made it across the estuary and back without incident, and he sang the whole way home.
    By August we were racing the club boys on Saturday mornings and losing to them, cheerfully, every time.
    He died the following winter.
    I still sail most weekends, and I still sing on the way home, badly, because he did.

    @--
    The house had been empty for a month when Clara finally went back to clear it.
    Her mother's coat still hung by the door. Her reading glasses were on the arm of the chair, folded, waiting.
    Clara stood in the hallway for a long time, unable to take another step.
    Then she made herself go into the kitchen, where the calendar was still turned to March and a shopping list in her mother's looping hand read: eggs, bread, ring Clara.
    She sat down at the table and cried until the light went.
    Nobody came, because there was nobody left to come.

    @++
    Dear {name},
    I have just put the phone down after our call, and I cannot stop smiling.
    A grandmother! I have been trying out the word all afternoon and it still sounds impossible.
    I remember the day you were born as if it were last week: the snow, the taxi driver who got lost, your father fainting in the corridor.
    And now you are going to have a child of your own.
    I have already started knitting, which, as you know, is a threat rather than a promise.
    Please look after yourself, eat properly, and ring me whenever you want to, day or night.
    I am so proud of you I could burst.
    All my love, Mum

    @=
    The town of Marrowby grew up around a ford on the river, where the old drovers' road crossed on its way to the coast.
    A market was recorded there by the twelfth century, and a stone bridge replaced the ford some two hundred years later.
    The town prospered on the wool trade until the eighteenth century, when the mills moved north to be nearer coal.
    The arrival of the railway in 1851 brought a second period of growth, and many of the terraced streets near the station date from this time.
    Today the town has a population of around twelve thousand.
    Its main employers are the hospital, the district council and a number of small engineering firms.

    @-
    I have been trying to write this post for a week.
    The short version is that the business is not going well.
    Orders have dropped by half since the spring, and the costs of everything, from flour to electricity, keep going up.
    I have cut my own hours, stopped paying myself and let one of our Saturday staff go, which was the hardest conversation I have ever had.
    I am not closing, not yet.
    But I would be lying if I said I was not worried, and I wanted to be honest with the people who have supported us since the start.
    If you have been meaning to pop in, now would be a very good time.

    @+
    We reached the hut just as the sun was going down, tired, sunburnt and very hungry.
    The warden, a tall woman with a plait down to her waist, took one look at us and put a pan of soup on the stove.
    There were eight other walkers there already, from five different countries, and by the time the soup was ready we were all sharing bread, chocolate and stories.
    Someone produced a harmonica. Someone else produced a bottle of something that tasted of pine needles.
    I slept in a bunk under a window full of stars and woke to the sound of cowbells.
    It was not the most comfortable night of my life, but it may have been one of the best.

    @~
    Our village has argued about the new houses on the edge of the common for three years now.
    Some people see them as the end of everything that makes the place special: the view, the quiet, the sense of knowing everyone.
    Others point out that their own children cannot afford to live here, and that the school will close without more families.
    Both sides are right, which is what makes the argument so bitter.
    I have lived here for forty years and I honestly do not know what I want.
    What I do know is that the meetings have become unpleasant, and that neighbours who used to share lifts to town now cross the road to avoid each other.
    Whatever happens to the houses, that is the real loss.

    @-
    Dear {name},
    I have put off writing this letter because I hoped the problem would go away on its own. It has not.
    For several months now, your dog has been left alone in the garden for most of the day, barking almost without pause.
    I work from home, and I have found it increasingly difficult to concentrate or to take calls.
    I have mentioned it to you twice in passing, and each time you said you would look into it.
    I do not want to involve the council, and I would much rather we sorted this out between us.
    Could we perhaps talk this weekend?
    With best wishes, your neighbour at number 12

    @=
    To make the bread, combine the flour, salt and yeast in a large bowl, then add the water and mix until a rough dough forms.
    Turn the dough onto a lightly floured surface and knead for about ten minutes, until it is smooth and springs back when pressed.
    Place it in an oiled bowl, cover, and leave it somewhere warm for an hour, or until it has roughly doubled in size.
    Knock the dough back, shape it into a round and place it on a lined tray.
    Leave it to rise for a further forty minutes while the oven heats to 220C.
    Slash the top, bake for thirty to thirty-five minutes, and cool on a wire rack before slicing.

    @++
    Today, after eleven years of saving, we went to the estate agent and picked up the keys to our own front door.
    I had imagined this day so many times that I expected it to feel unreal. It did not.
    It felt like coming home.
    We walked through every empty room, opening cupboards and saying things like "this could be the study" in slightly silly voices.
    The children chose their bedrooms in about four seconds and immediately started arguing about them.
    We ate chips on the floor of the living room because the table has not arrived yet.
    I do not think I have ever been this happy.
""")


# ---------------------------------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    domain: str
    text: str
    tone: str  # for the coverage report only
    kind: str  # sub-genre and shape, for the coverage report only


def dedup_key(text: str) -> str:
    """Normalised text for dedup: NFC, case-folded, punctuation and runs of whitespace dropped."""
    t = unicodedata.normalize("NFC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", t).split())


def words(text: str) -> int:
    return len(text.split())


class Collector:
    """The texts of one domain; a text any domain already holds, or the held-apart check set holds, is skipped."""

    def __init__(self, domain: str, seen: set[str], held_out: frozenset[str] = frozenset()) -> None:
        self.domain = domain
        self.seen = seen
        self.held_out = held_out
        self.items: list[Item] = []
        self.held_out_hits: set[str] = set()

    def add(self, text: str, tone: str, kind: str) -> bool:
        text = text.strip()
        key = dedup_key(text)
        if key in self.held_out:
            self.held_out_hits.add(key)
            return False
        if not key or key in self.seen:
            return False
        self.seen.add(key)
        self.items.append(Item(self.domain, text, tone, kind))
        return True


def held_out_keys(folder: Path = OUT.parent) -> frozenset[str]:
    """Dedup keys of the check sets' texts (the out-of-domain check and the AEB-2-style sets in `aeb2-team/`):
    they must not be trained on, so they are left out here.

    Only the keys are used; the check sets are not read for material.
    """
    from trainer.aeb import load_aeb_file

    keys = set()
    for path in sorted(folder.glob("out-of-domain*.jsonl")):
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    keys.add(dedup_key(str(json.loads(line).get("text", ""))))
    for path in sorted((folder / "aeb2-team").glob("*.json")):
        keys.update(dedup_key(item.text) for item in load_aeb_file(path).items)
    return frozenset(keys)


def sample(rng: random.Random, pool: Sequence[str], k: int) -> list[str]:
    return rng.sample(list(pool), min(k, len(pool)))


def until(target: int, attempts: int, step: Callable[[], bool]) -> None:
    """Call `step` until it has succeeded `target` times or made `attempts` calls."""
    done = tries = 0
    while done < target and tries < attempts:
        tries += 1
        done += step()


def sst_tokens(s: str) -> str:
    """The look of treebank sentences: lower case, clitics and punctuation split off."""
    s = s.lower()
    s = re.sub(r"n't\b", " n't", s)
    s = re.sub(r"'(s|re|ve|ll|d|m)\b", r" '\1", s)
    s = re.sub(r"([,.;:!?])", r" \1", s)
    return " ".join(s.split())


def paragraphs(rng: random.Random, sentences: Sequence[str], k: int) -> str:
    """Join sentences into up to `k` paragraphs separated by blank lines."""
    if k <= 1 or len(sentences) < 4:
        return " ".join(sentences)
    cuts = sorted(rng.sample(range(2, len(sentences) - 1), min(k - 1, len(sentences) - 3)))
    out, last = [], 0
    for cut in [*cuts, len(sentences)]:
        out.append(" ".join(sentences[last:cut]))
        last = cut
    return "\n\n".join(out)


def is_long(text: str) -> bool:
    return LONG_WORDS[0] <= words(text) <= LONG_WORDS[1]


def chunks(rng: random.Random, passage: Sequence[str], size: tuple[int, int]) -> list[list[str]]:
    """Split a passage into consecutive, non-overlapping runs of `size` sentences."""
    out, i = [], 0
    while i < len(passage):
        k = rng.randint(*size)
        out.append(list(passage[i : i + k]))
        i += k
    return out


# Tone profiles: which pools a composed text draws from (the first is the main one).
PROFILE = {
    POS2: (POS2, POS2, POS1),
    POS1: (POS1, POS1, NEU),
    NEU: (NEU, NEU, NEU),
    MIX: (MIX, POS1, NEG1),
    NEG1: (NEG1, NEG1, NEU),
    NEG2: (NEG2, NEG2, NEG1),
}


class Balancer:
    """Hands out the least-used tone so far, so failed attempts do not skew the mix."""

    def __init__(self, rng: random.Random, tones: Sequence[str] = TONES) -> None:
        self.rng = rng
        self.counts = Counter(dict.fromkeys(tones, 0))

    def next(self) -> str:
        low = min(self.counts.values())
        return self.rng.choice(sorted(t for t, n in self.counts.items() if n == low))

    def step(self, make: Callable[[str], bool]) -> Callable[[], bool]:
        def run() -> bool:
            tone = self.next()
            ok = make(tone)
            self.counts[tone] += ok
            return ok

        return run


def merged(*pools: dict[str, tuple[T, ...]]) -> dict[str, tuple[T, ...]]:
    """Pools keyed by tone, concatenated per tone."""
    out: dict[str, tuple[T, ...]] = {}
    for pool in pools:
        for tone, lines in pool.items():
            out[tone] = out.get(tone, ()) + lines
    return out


PRODUCT_PREFIXES = {
    "any": _lines("""
        Honest review:
        Quick review.
        For what it is worth:
        Short version:
        I do not usually write reviews, but here goes.
        My two pennies' worth:
    """),
    "appliance": _lines("""
        Bought this to replace a ten-year-old model.
        Three months in.
        I have been using it every day for a few weeks now.
    """),
    "electronics": _lines("""
        Bought in the sale.
        Used it daily for about a month.
        This replaced a much more expensive model.
    """),
    "book": _lines("""
        Read this for my book club.
        Picked this up at the airport.
    """),
    "food": _lines("""
        Tried this on a friend's recommendation.
        Second time ordering.
    """),
    "hotel": _lines("""
        We stayed two nights in {month}.
        Stayed here for work.
        We booked this for a long weekend in {place}.
    """),
    "app": _lines("""
        I have used this app for about a year.
        Switched to this from another app.
    """),
}


def product_reviews(c: Collector, rng: random.Random) -> None:
    cats = list(PRODUCT)
    lines = [(cat, tone, s) for cat in cats for tone, pool in PRODUCT[cat].items() for s in pool]
    rng.shuffle(lines)
    split = len(lines) * 11 // 20
    singles, framed = lines[:split], lines[split:]
    for cat, tone, s in singles:
        c.add(fill(s, rng), tone, f"single:{cat}")
    for s in PRODUCT_SPECS:
        for _ in range(3):
            c.add(fill(s, rng), NEU, "spec")
    wholes = [(cat, tone, p) for cat, ps in PRODUCT_WHOLE.items() for tone, p in ps]

    def whole(cat: str, tone: str, passage: Sequence[str], update: bool) -> bool:
        body = [*passage, rng.choice(PRODUCT_UPDATES[tone])] if update else list(passage)
        if rng.random() < 0.3:
            body.insert(0, rng.choice(PRODUCT_PREFIXES["any"]))
        text = fill(paragraphs(rng, body, rng.choice((1, 1, 2, 3))), rng)
        return is_long(text) and c.add(text, tone, f"long:{cat}")

    for cat, tone, p in wholes:
        whole(cat, tone, p, rng.random() < 0.4)
    for cat, tone, p in wholes:
        whole(cat, tone, p, True)

    def short() -> bool:
        cat, tone, s = rng.choice(framed)
        body = [s]
        if rng.random() < 0.5:
            body.insert(0, rng.choice(PRODUCT_PREFIXES["any"] + PRODUCT_PREFIXES[cat]))
        if tone != NEU and (len(body) == 1 or rng.random() < 0.5):
            body.append(rng.choice(PRODUCT_CLOSERS[tone]))
        return len(body) > 1 and c.add(fill_all(body, rng), tone, f"short:{cat}")

    until(PER_DOMAIN + 10 - len(c.items), 4000, short)


def movie_reviews(c: Collector, rng: random.Random) -> None:
    evals = merged(MOVIE_EVAL, MOVIE_EVAL_MORE, MOVIE_EVAL_EXTRA, MOVIE_EVAL_FOURTH, MOVIE_EVAL_FIFTH)
    openers = MOVIE_OPENERS + MOVIE_OPENERS_MORE
    verdicts = merged(MOVIE_VERDICT, MOVIE_VERDICT_MORE)
    for tone, passage in MOVIE_WHOLE:
        for _ in range(2):
            c.add(fill(paragraphs(rng, passage, rng.choice((1, 2, 3))), rng), tone, "whole")
    tones = Balancer(rng, (POS2, POS1, MIX, NEG1, NEG2))

    def plot() -> str:
        if rng.random() < 0.5:
            return rng.choice(MOVIE_PLOT + MOVIE_PLOT_MORE)
        return f"{{film}} follows {rng.choice(MOVIE_CHAR)} {rng.choice(MOVIE_GOAL)}."

    def facts(k: int) -> list[str]:
        return sample(rng, MOVIE_FACTS, k)

    def review(tone: str, long: bool) -> bool:
        body = [rng.choice(openers)] if long or rng.random() < 0.4 else []
        body.append(plot())
        if long and rng.random() < 0.3:
            body += facts(1)
        pools = [p for p in dict.fromkeys(PROFILE[tone]) if p != NEU]
        per_pool = (1, 2) if not long else (2, 3) if len(pools) > 1 else (4, 5)
        for p in pools:
            body += sample(rng, evals[p], rng.randint(*per_pool))
        body.append(rng.choice(verdicts[tone]))
        text = fill(paragraphs(rng, body, rng.choice((1, 2, 3)) if long else 1), rng)
        if long:
            return is_long(text) and c.add(text, tone, "long")
        return 25 <= words(text) < LONG_WORDS[0] and c.add(text, tone, "medium")

    def synopsis() -> bool:
        return c.add(fill_all([plot(), *facts(rng.randint(1, 2))], rng), NEU, "synopsis")

    until(205, 8000, tones.step(lambda t: review(t, True)))
    until(35, 1000, synopsis)
    until(PER_DOMAIN + 10 - len(c.items), 8000, tones.step(lambda t: review(t, False)))


def movie_sentences(c: Collector, rng: random.Random) -> None:
    for pools in (SST, SST_MORE):
        for tone, pool in pools.items():
            for s in pool:
                c.add(sst_tokens(s) if rng.random() < 0.3 else s, tone, "sentence")
    for side in ("pos", "neg"):
        for s in SST_SUBJECT[side]:
            c.add(s, POS1 if side == "pos" else NEG1, "phrase")
    pairs = [(a, b) for a in ("pos", "neg") for b in ("pos", "neg")]
    tone_of = {("pos", "pos"): POS2, ("neg", "neg"): NEG2, ("pos", "neg"): MIX, ("neg", "pos"): MIX}

    def combo() -> bool:
        a, b = rng.choice(pairs)
        s = f"{rng.choice(SST_SUBJECT[a])} {rng.choice(SST_PREDICATE[b])}"
        return c.add(sst_tokens(s) if rng.random() < 0.3 else s, tone_of[(a, b)], "combo")

    until(PER_DOMAIN + 10 - len(c.items), 3000, combo)


def news(c: Collector, rng: random.Random) -> None:
    for s in NEWS_HEADLINES + NEWS_HEADLINES_MORE:
        c.add(fill(s, rng), NEU, "headline")
    for s in NEWS_SENTENCES:
        c.add(fill(s, rng), NEU, "sentence")
    kits = [(tone, kit) for tone, ks in merged(NEWS_KITS, NEWS_KITS_MORE).items() for kit in ks]
    for tone, kit in kits:
        head, body = kit[0], list(kit[1:])
        c.add(fill(head, rng), tone, "headline")
        for s in body:
            c.add(fill(s, rng), tone, "sentence")
        c.add(fill(" ".join(body), rng), tone, "report")
        c.add(fill(head + "\n\n" + " ".join(body[: rng.randint(2, 3)]), rng), tone, "report")
    heads = _lines("""
        Local news in brief
        Around the region
        Today's main stories
        Business and economy
        News from the county
    """)

    def roundup() -> bool:
        (t1, k1), (t2, k2) = rng.sample(kits, 2)
        text = fill(f"{rng.choice(heads)}\n\n{k1[0]}. {' '.join(k1[1:])}\n\n{k2[0]}. {' '.join(k2[1:])}", rng)
        mixed = {t1, t2} & {POS1, POS2} and {t1, t2} & {NEG1, NEG2}
        return is_long(text) and c.add(text, MIX if mixed else t1, "long")

    def second_fill() -> bool:
        tone, kit = rng.choice(kits)
        if rng.random() < 0.5:
            return c.add(fill(kit[0], rng), tone, "headline")
        return c.add(fill(" ".join(sample(rng, kit[1:], 2)), rng), tone, "report")

    until(45, 1000, roundup)
    until(PER_DOMAIN + 10 - len(c.items), 2000, second_fill)


def editorials(c: Collector, rng: random.Random) -> None:
    topics = [[(MARKS[line.split(" ", 1)[0]], line.split(" ", 1)[1]) for line in block] for block in EDITORIAL_TOPICS]
    general = EDITORIAL_STANDALONE + EDITORIAL_CHEERS + EDITORIAL_MORE
    for tone, s in general:
        c.add(s, tone, "single")
    cheers = [s for t, s in general if t == POS2]
    for topic in topics:
        for tone, s in topic:
            c.add(s, tone, "single")
    tones = Balancer(rng, (POS2, POS1, MIX, NEG1, NEG2))
    want = {POS2: (POS1,), POS1: (POS1, NEU, MIX), MIX: (MIX, POS1, NEG2), NEG1: (NEG2, MIX, NEU), NEG2: (NEG2,)}

    def pick(topic: list[tuple[str, str]], tone: str, k: int) -> list[str]:
        picked = sample(rng, [s for t, s in topic if t in want[tone]], k)
        return [rng.choice(cheers), *picked[: k - 1]] if tone == POS2 else picked

    def snippet(tone: str) -> bool:
        if rng.random() < 0.4:  # two general remarks of one tone, as a column's opening
            body = sample(rng, [s for t, s in general if t == tone], 2)
        else:
            body = pick(rng.choice(topics), tone, rng.randint(2, 3))
        if rng.random() < 0.25:
            body.insert(0, rng.choice(EDITORIAL_OPENERS))
        return len(body) > 1 and c.add(" ".join(body), tone, "snippet")

    def long(tone: str) -> bool:
        topic = rng.choice(topics)
        facts = [s for t, s in topic if t == NEU]
        body = [rng.choice(EDITORIAL_OPENERS), *facts, *pick(topic, tone, 6), rng.choice(EDITORIAL_CLOSERS)]
        text = paragraphs(rng, body, rng.choice((2, 3)))
        return is_long(text) and c.add(text, tone, "long")

    until(70, 4000, tones.step(long))
    until(PER_DOMAIN + 10 - len(c.items), 5000, tones.step(snippet))


def forum(c: Collector, rng: random.Random) -> None:
    posts = merged(FORUM_POSTS, FORUM_POSTS_MORE)
    replies = FORUM_REPLIES + FORUM_REPLIES_MORE
    thread_replies = merged(THREAD_REPLIES, THREAD_REPLIES_MORE)
    for tone, s in FORUM_SHORT + FORUM_SHORT_MORE:
        c.add(fill(s, rng), tone, "short")
    for tone, s in replies:
        c.add(fill(s, rng), tone, "reply")
    for tone, ps in posts.items():
        for post in ps:
            edit = [rng.choice(FORUM_EDITS[tone])] if rng.random() < 0.4 else []
            c.add(fill(paragraphs(rng, [*post, *edit], rng.choice((1, 2, 3))), rng), tone, "post")
            for part in chunks(rng, post, (2, 3)):
                if len(part) >= 2:
                    c.add(fill(" ".join(part), rng), tone, "excerpt")

    def thread() -> bool:
        # a post and two replies, as a thread page shows them
        tone, ps = rng.choice(list(posts.items()))
        picked = sample(rng, thread_replies[tone], rng.randint(2, 4))
        text = " ".join(rng.choice(ps)) + "\n\n" + "\n\n".join(f"Reply: {r}" for r in picked)
        text = fill(text, rng)
        return is_long(text) and c.add(text, tone, "thread")

    def medley() -> bool:
        # a short post: one opening line of a thread, a question or reply line after it
        tone, ps = rng.choice(list(posts.items()))
        post = rng.choice(ps)
        k = rng.randint(1, len(post) - 1)
        return c.add(fill(f"{post[0]} {post[k]}", rng), tone, "excerpt")

    until(65, 3000, thread)
    until(PER_DOMAIN + 10 - len(c.items), 3000, medley)


def chat(c: Collector, rng: random.Random) -> None:
    emotion_tone = {"trust": POS1, "anticipation": POS1, "surprise": MIX}
    lines = [(emotion_tone.get(k, k), s) for k, pool in merged(CHAT, CHAT_MORE).items() for s in pool]
    lines += list(CHAT_EXTRA)
    for tone, s in lines:
        c.add(fill(s, rng), tone, "single")

    def greeted() -> bool:
        tone, s = rng.choice(lines)
        return c.add(fill(f"{rng.choice(CHAT_GREETINGS)} {s}", rng), tone, "greeting")

    def tailed() -> bool:
        tone, s = rng.choice(lines)
        return c.add(fill(f"{s} {rng.choice(CHAT_TAILS_BY_TONE[tone])}", rng), tone, "tail")

    logistics = [s for t, s in lines if t == NEU and words(s) > 1]

    def pair() -> bool:
        a, b = rng.sample(logistics, 2)
        return c.add(fill(f"{a}\n{b}", rng), NEU, "pair")

    until(50, 2000, greeted)
    until(20, 1000, pair)
    until(PER_DOMAIN + 10 - len(c.items), 3000, tailed)


def mixed_genre(c: Collector, rng: random.Random) -> None:
    genres = {
        "fiction": FICTION + FICTION_MORE,
        "letter": LETTERS + LETTERS_MORE,
        "diary": DIARY + DIARY_MORE,
        "essay": ESSAYS + ESSAYS_MORE,
        "travel": TRAVEL + TRAVEL_MORE,
    }
    for tone, s in MIXED_SENTENCES + MIXED_SENTENCES_MORE:
        c.add(s, tone, "sentence")
    for tone, passage in MIXED_LONG:
        sep = "\n" if passage[0].startswith("Dear") else " "
        c.add(fill(paragraphs(rng, passage, 1) if sep == " " else sep.join(passage), rng), tone, "long-piece")
        body = [s for s in passage if not s.endswith(",") and words(s) > 3]
        for part in chunks(rng, body, (2, 3)):
            c.add(fill(" ".join(part), rng), tone, "long-piece:excerpt")
    for genre, passages in genres.items():
        for tone, passage in passages:
            sep = "\n" if genre == "letter" else " "
            c.add(fill(sep.join(passage), rng), tone, f"{genre}:whole")
            body = [s for s in passage if not s.endswith(",") and words(s) > 3]
            for part in chunks(rng, body, (1, 2)):
                c.add(fill(" ".join(part), rng), tone, f"{genre}:excerpt")

    def long() -> bool:
        # a diary or travel blog page: two entries under one heading
        genre = rng.choice(("diary", "travel"))
        (t1, a), (t2, b) = rng.sample(genres[genre], 2)
        text = fill(" ".join(a) + "\n\n" + " ".join(b), rng)
        return is_long(text) and c.add(text, t1 if t1 == t2 else MIX, f"{genre}:long")

    until(62, 3000, long)


DOMAINS: dict[str, Callable[[Collector, random.Random], None]] = {
    "product-review": product_reviews,
    "movie-review": movie_reviews,
    "movie-sentence": movie_sentences,
    "news": news,
    "editorial": editorials,
    "forum": forum,
    "chat": chat,
    "mixed-genre": mixed_genre,
}


def build(seed: int = SEED, held_out: frozenset[str] = frozenset()) -> tuple[list[Item], int]:
    """Every domain's texts, distinct by `dedup_key` and none in `held_out`, interleaved so that any
    prefix of the file mixes all domains; also how many distinct texts were left out as held out."""
    seen: set[str] = set()
    per_domain: list[list[Item]] = []
    dropped: set[str] = set()
    for k, (domain, make) in enumerate(DOMAINS.items()):
        rng = random.Random(seed * 100 + k)
        collector = Collector(domain, seen, held_out)
        make(collector, rng)
        dropped |= collector.held_out_hits
        items = collector.items
        rng.shuffle(items)
        while len(items) > PER_DOMAIN_MAX:  # trim short texts only, so the long share holds
            items.pop(max(i for i, it in enumerate(items) if not is_long(it.text)))
        per_domain.append(items)
    out: list[Item] = []
    for row in range(max(len(items) for items in per_domain)):
        out.extend(items[row] for items in per_domain if row < len(items))
    return out, len(dropped)


def records(items: Sequence[Item]) -> list[dict[str, str]]:
    counters: Counter[str] = Counter()
    recs = []
    for item in items:
        counters[item.domain] += 1
        recs.append({"id": f"{item.domain}-{counters[item.domain]}", "domain": item.domain, "text": item.text})
    return recs


def material() -> set[str]:
    """Every distinct hand-written sentence, fragment and passage line above (slot pools excluded)."""
    out: set[str] = set()

    def walk(x: object) -> None:
        if isinstance(x, str):
            if words(x) > 0 and not x.startswith("@"):
                out.add(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, tuple | list):
            for v in x:
                walk(v)

    for name, value in globals().items():
        if name.isupper() and name not in {"SLOTS", "MARKS", "PROFILE", "TONES", "OUT", "SEED"} and name not in TONES:
            walk(value)
    return out - set(TONES)


def report(items: Sequence[Item]) -> str:
    by_domain: dict[str, list[Item]] = {}
    for item in items:
        by_domain.setdefault(item.domain, []).append(item)
    lines = [f"{'domain':16} {'texts':>6} {'avg words':>9} {'long':>5}  tones"]
    for domain, its in by_domain.items():
        n_long = sum(is_long(i.text) for i in its)
        tones = Counter(i.tone for i in its)
        mean = statistics.mean(words(i.text) for i in its)
        lines.append(f"{domain:16} {len(its):6d} {mean:9.1f} {n_long:5d}  {dict(sorted(tones.items()))}")
    n_long = sum(is_long(i.text) for i in items)
    mean = statistics.mean(words(i.text) for i in items)
    lines.append(f"{'all':16} {len(items):6d} {mean:9.1f} {n_long:5d}  ({n_long / len(items):.1%} long)")
    neutral = sum(i.tone == NEU for i in items)
    lines.append(
        f"neutral/factual by design: {neutral} ({neutral / len(items):.1%}); "
        f"hand-written lines in the material: {len(material())}"
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    items, dropped = build(args.seed, held_out_keys())
    with args.out.open("w", encoding="utf-8") as f:
        for rec in records(items):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(report(items))
    print(f"left out {dropped} texts that the out-of-domain check set also holds")
    print(f"wrote {len(items)} texts to {args.out}")


if __name__ == "__main__":
    main()
