# ruff: noqa: E501
"""Build examples/neutral-train.aaid.jsonl: neutral, factual texts as AAID training records.

The tweet-trained student puts emotions on plain text (specifications, schedules, news facts, chat
logistics). These texts, written for this project by its team (same licence as the repository),
carry the answer the student should give them: E-c "neutral or no emotion" and V-oc class 0. Each
text becomes two AAID instruction records, rendered by `trainer.aaid.to_record` with one of the
project's own wordings (`trainer.wordings`), so `trainer.aaid.load_aaid` reads the file back.

Every text is distinct (by the same normalised key as examples/distil-texts.jsonl) from the texts of
examples/distil-texts.jsonl and of the out-of-domain check set, so neither is trained on twice and
the check stays independent. Deterministic (fixed seed):

    python examples/build_neutral_train.py [--out examples/neutral-train.aaid.jsonl]

(with the project installed, e.g. `pip install -e .`, or `PYTHONPATH=.` from the repository root).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

from build_distil_texts import OUT as DISTIL_FILE
from build_distil_texts import dedup_key, fill, held_out_keys

from schemas.tasks import TaskFamily
from trainer.aaid import AAIDExample, to_record, write_jsonl
from trainer.wordings import WORDINGS, wording

SEED = 20261202
OUT = Path(__file__).resolve().parent / "neutral-train.aaid.jsonl"
TARGET = 400
#: The neutral answers: E-c with no label (rendered as EC_NEUTRAL) and V-oc class 0 (neutral or mixed).
LABELS: tuple[tuple[TaskFamily, str, tuple[str, ...] | int], ...] = (
    (TaskFamily.E_C, "", ()),
    (TaskFamily.V_OC, "valence", 0),
)


def _lines(block: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in block.strip().splitlines() if s.strip())


NEUTRAL: dict[str, tuple[str, ...]] = {
    "product-review": _lines("""
        The box contains the {brand} {model}, a power cable, a user manual and a warranty card.
        Capacity: 2 litres. Power: 1,500 W. Cable length: 1 m.
        The parcel was delivered on {weekday} and left with a neighbour.
        The {appliance} measures 40 cm high and 25 cm wide.
        Colour options are white, black and sage green.
        The kettle has a 360-degree base and a removable limescale filter.
        This model replaces last year's version and uses the same accessories.
        The warranty is two years from the date of purchase.
        Battery capacity is 4,500 mAh and charging takes about 90 minutes.
        The {gadget} supports Bluetooth 5.2 and has a USB-C port.
        The manual is available in English, French, German and Spanish.
        The item was bought from the online store and paid for by card.
        The screen is 10.9 inches with a resolution of 2360 by 1640 pixels.
        The vacuum has a 0.6-litre bin and weighs 2.7 kilograms.
        It runs on four AA batteries, which are not included.
        The hotel has 62 rooms across four floors.
        Breakfast is served between 7 and 10 on weekdays and until 11 at weekends.
        Free parking is available behind the building.
        The room had a double bed, a desk, a wardrobe and a shower room.
        The restaurant is on the ground floor of {hotel}.
        The app requires iOS 16 or later.
        Version 3.1 was released in {month} and adds support for tablets.
        Notifications can be switched off in the settings menu.
        The subscription renews monthly unless cancelled.
        The book has 288 pages and is divided into fourteen chapters.
        It was first published in 2019 and reissued in paperback this year.
        The bag weighs 1 kilogram and contains whole beans.
        Store the jar in the fridge after opening and use within four weeks.
        Ingredients: tomatoes, onion, olive oil, garlic, basil and salt.
        Each pack contains twelve bars.
        The restaurant seats about forty people and opens at 5 pm.
        The order number is printed on the delivery note.
        I ordered the medium size in grey.
        The replacement filter is sold separately.
        The item was returned within the 30-day window.
        The model number is on a sticker under the base.
        Assembly requires a Phillips screwdriver.
        The lid is dishwasher-safe; the base is not.
        The {appliance} has five settings and a timer of up to 60 minutes.
        Delivery took three working days.
        The charger plugs into a standard wall socket.
        The TV stand needs two people to assemble.
        The headphones fold flat for storage in the supplied case.
        The mattress arrived rolled and vacuum-packed.
        The coffee machine takes ground coffee or pods.
        The chair's seat height adjusts from 42 to 52 cm.
        The tent sleeps four and packs down to 60 cm.
        The printer uses four separate ink cartridges.
        The hotel's check-in desk is staffed 24 hours a day.
        Rooms on the top floor have a view of the car park.
        The recipe book includes metric and imperial measurements.
        The tea bags are individually wrapped.
        The blender jug holds 1.5 litres.
        The camera records video at 30 frames per second.
        The app stores data on the phone unless backup is switched on.
    """),
    "movie-review": _lines("""
        The film was released in cinemas on the last Friday of {month}.
        The running time is 112 minutes.
        It was directed by {director} and stars {actor}.
        The story takes place in a coastal town in the 1970s.
        The screenplay is adapted from a novel of the same name.
        It was filmed on location over eight weeks.
        The film is in English and Italian, with subtitles.
        {film} is the second part of a planned trilogy.
        It will be available to stream from next month.
        The soundtrack album is released on the same day as the film.
        The film was shown at three festivals before its general release.
        It has a 12A certificate.
        I watched it at an evening screening on {weekday}.
        {actor} plays a lawyer, and {actor2} plays her younger brother.
        The film opens in a train station and ends in a farmhouse.
        Most of the scenes were shot at night.
        The credits list more than two hundred people.
        It is the director's fourth feature film.
        The original version was shot in black and white.
        The film follows two neighbours over the course of a year.
        The trailer was released in {month}.
        The film was shot in {abroad} and at a studio outside the capital.
        The director also wrote the screenplay.
        The film is a co-production between three countries.
        It is showing at two cinemas in {place}.
        The DVD includes a director's commentary.
        The film was made over a period of four years.
        The lead role was originally offered to another actor.
        The story spans three generations of one family.
        Tickets for the premiere go on sale on {weekday}.
        There are two versions: the cinema release and an extended cut.
        The screening was followed by a question-and-answer session.
        The film is based on events that took place in 1987.
        The first half is set in a boarding school.
        I saw the film with subtitles on a streaming service.
    """),
    "movie-sentence": _lines("""
        the film takes place over three days in late autumn
        a drama set in a mountain village
        the story is told in flashback
        based on a short story published in 1962
        the second half moves to the city
        the cast includes several non-professional actors
        filmed in a single location
        the narrator is the eldest daughter
        a documentary about a family bakery
        the film is divided into five chapters
        most of the dialogue takes place on the phone
        the plot follows a postman on his daily round
        shot over the course of four summers
        the action is set in a hospital and a school
        a remake of a 1950s film
        the story moves between two time periods
        a comedy set in a dentist's surgery
        the film is narrated in the second person
        the soundtrack uses only a piano and a cello
        set on a container ship crossing the atlantic
        the film's title refers to a street in the city
        a biography of a nineteenth-century engineer
        the characters are never named
        the final scene takes place at a wedding
        the film was shot on sixteen-millimetre stock
        the story begins on the first day of school
        a musical set in a launderette
        most of the cast are played by members of one family
        the plot concerns a disputed will
        filmed in the winter months
    """),
    "news": _lines("""
        The council meeting will take place on {weekday} at 6 pm in the town hall.
        The road will be closed between the roundabout and the station from {month} to August.
        The company published its annual report on {weekday}.
        The new timetable starts on the first Monday of {month}.
        Polling stations will be open from 7 am to 10 pm.
        The museum is closed on Mondays and public holidays.
        The bridge carries about 20,000 vehicles a day.
        The survey was carried out between {month} and September.
        Results will be announced on the council's website.
        The airport handled 4.2 million passengers last year.
        The hospital has 450 beds and employs around 3,000 staff.
        The school will move to its new building after the summer holidays.
        The population of {place} was recorded as 48,000 at the last census.
        The consultation closes at midnight on {weekday}.
        The library will offer a home delivery service from next month.
        Rainfall last month was close to the long-term average.
        The exhibition opens on {weekday} and runs until the end of {month}.
        Applications for the grant can be made online or by post.
        The new station will have four platforms and a bus interchange.
        The minister will answer questions in parliament on {weekday}.
        The company employs 1,200 people at its {place} site.
        The contract was awarded after a tender process.
        The festival takes place over three days in the park.
        The report contains 14 recommendations.
        The price of a standard stamp will change from {month}.
        The ferry timetable for the winter season has been published.
        Planning permission was granted for 120 homes on the site.
        The match kicks off at 3 pm on Saturday.
        Interest rates were held at the last meeting.
        Temperatures will be around average for the time of year.
        The trial is expected to last three weeks.
        The building was completed in 1964.
        The council will collect garden waste every other {weekday}.
        The service will run every 15 minutes during peak hours.
        A spokesperson said the figures would be reviewed next quarter.
    """),
    "editorial": _lines("""
        The proposal will be discussed at the committee meeting next month.
        The consultation documents are available at the library and online.
        The new rules apply to all buildings over 18 metres tall.
        The scheme is funded by the county and two neighbouring districts.
        This column appears every Saturday.
        The council's budget for the year is £210 million.
        The policy was introduced in 2019 and reviewed in 2023.
        The bill will have its second reading in the spring.
        Readers can send letters to the address below.
        The report compares figures from twelve similar towns.
        The law covers both private and social housing.
        The inquiry will hold public hearings in the autumn.
        The proposal was first put forward five years ago.
        The figures are published quarterly.
        The debate will be broadcast live on the council's channel.
        The committee has nine members drawn from all parties.
        The proposal would apply from the next financial year.
        The article was first published in the print edition.
        The author is a former head teacher who lives in {place}.
        The survey had 2,300 respondents.
        The council has set aside £1.2 million for the project.
        The plan has three stages, each lasting about a year.
        The policy applies to new applications only.
        The views expressed are the writer's own.
        The data comes from the national statistics office.
        The figures cover the period from April to March.
        The vote is scheduled for the end of the month.
        The guidance was updated in {month}.
        The scheme is open to residents aged 16 and over.
        The full text of the proposal runs to 64 pages.
    """),
    "forum": _lines("""
        What size screws do I need to mount a 55-inch TV on a plasterboard wall?
        Does anyone know the opening hours of the recycling centre in {place}?
        How long does it take to get a replacement driving licence?
        Which setting should I use to wash a wool jumper?
        Is the 42 bus still running on Sundays?
        What is the postage cost for a small parcel to {abroad}?
        Can I use a 65 W charger with a laptop that came with a 45 W one?
        How often should a boiler be serviced?
        Where is the nearest post office to the station?
        Does the library have printing facilities?
        What time does the market close on Saturdays?
        Is there a car park near the swimming pool?
        How do I change the default browser on a tablet?
        Which bin do pizza boxes go in?
        What documents do I need to register with a new doctor?
        Can someone recommend a route from {place} to {place2} by bike?
        How do I reset the router to factory settings?
        Does anyone know if the train station has lifts to every platform?
        What is the standard size of a pillowcase?
        Is it possible to pay the parking charge by phone?
        How many tiles do I need for a floor of 4 by 3 metres?
        What temperature should a fridge be set to?
        Where can I find the serial number on a washing machine?
        Which app do people use to pay for buses in {place}?
        How do I export contacts from one phone to another?
        My flat is on the third floor and faces north.
        I have a 2018 hatchback with about 60,000 miles on it.
        The garden is roughly ten metres long.
        I am looking for a second-hand desk about 120 cm wide.
        We are a family of four with one dog.
        I am using the latest version of the app on an Android phone.
        The boiler is a combi model installed in 2016.
        The car is a diesel estate with a manual gearbox.
        My laptop has 8 GB of RAM and a 256 GB drive.
        The house was built in the 1950s and has cavity walls.
        The kitchen is about three metres by four.
        Does anyone know the phone number for the council's highways team?
        What is the weight limit for checked luggage on domestic flights?
        Where can I buy replacement bulbs for an old desk lamp?
        How long does a passport renewal take at the moment?
        Is the station car park free after 6 pm?
        Which day is the farmers' market in {place}?
        How do I find out the council tax band for a property?
        What is the difference between a 13 amp and a 5 amp fuse?
        Is the ferry timetable different on bank holidays?
    """),
    "chat": _lines("""
        bus leaves at {time}
        i'm at the corner by the bank
        the meeting's in room 2
        can u send me the link
        just got off the train
        we're parked on level 3
        lunch at 1?
        what's the postcode
        i'll drop it round tomorrow
        shop closes at 8
        he's coming at {time}
        the keys are on the hook
        doctor's at 10:40
        did u lock the back door
        i'm on the 5:15
        it's the grey building next to the school
        need anything from town
        back around {time}
        parcel's in the porch
        can u call me after 6
        we need eggs and bread
        i'll meet u at the entrance
        class is cancelled today
        which room are u in
        ok, {day} works
        the code is 2290
        sent u the address
        the form is on the table
        we're leaving in 10
        i'm outside
        pick up at {time}
        table's booked for 7
        i left the umbrella in ur car
        the plumber said wednesday
        battery at 20%, will charge
        which exit?
        heading home now
        the train's on time
        don't forget the charger
        i put the washing on
        i'll text when i'm leaving
        meeting's at 11 not 10
        left a note on the fridge
        just checking the times
        can u bring the ladder on sat
        it's on the top shelf
        the kids finish at 3:15
        we're in the queue for tickets
        parking's round the back
        it's platform 4
        i'll get the 7 o'clock
        i've paid the gas bill
        leaving work now
        the delivery slot is 2 to 4
        i'm at the pharmacy, 5 mins
        still on the motorway
        the taxi's booked
        i'm in the car park
        the shop's on the left past the bank
        laptop's in the bag by the door
    """),
    "mixed-genre": _lines("""
        Preheat the oven to 180C and line a baking tin with paper.
        Turn left at the church and continue for about half a mile.
        The meeting minutes are attached for your records.
        Please return the signed form by the end of the week.
        The castle is open from April to October, 10 am to 5 pm.
        The walk is about eight kilometres and takes three hours.
        The river rises in the hills and flows south to the estuary.
        The town has two churches, a market hall and a railway station.
        She put the letter in an envelope and wrote the address on the front.
        He opened the window and sat down at the desk.
        The train stopped at every station between the city and the coast.
        They moved to the house on Elm Street in the spring of 1994.
        The chapter describes the growth of the railways in the nineteenth century.
        Water boils at 100 degrees Celsius at sea level.
        The library holds about 30,000 volumes.
        The island can be reached by ferry from the harbour.
        The museum has a café and a shop on the ground floor.
        Remove the screws from the back panel and lift it away.
        Dear Sir or Madam, I am writing to request a copy of my account statement.
        Please find enclosed a cheque for the annual subscription.
        The first train leaves at 6:05 and the last at 23:40.
        The valley is about twenty kilometres long.
        The essay examines three approaches to urban planning.
        Stir in the flour and cook for one minute.
        The hostel has dormitories and private rooms.
        Mix the ingredients in a large bowl.
        The cathedral was built between 1220 and 1258.
        The map on page 12 shows the route.
        The old mill is now used as a community centre.
        He parked the car outside the post office and went in.
        The bus from the airport stops at the main square.
        The form should be completed in black ink.
        The village lies at the end of a single-track road.
        The diary covers the years 1941 to 1945.
        She took the 8:15 train to the city, as she did every weekday.
        The recipe makes about twenty biscuits.
        The letter was dated 3 {month} and signed by the secretary.
        The trail is marked with yellow arrows.
        Tickets can be bought at the entrance.
        The garden was laid out in the 1820s.
        The minutes of the previous meeting were approved.
        Cut the pastry into eight equal squares.
        The path follows the old railway line for two miles.
        The hotel is a five-minute walk from the bus station.
        The letter confirmed the date of the interview.
        Fold the paper in half and then in half again.
        The school was founded in 1872.
        The bridge was repaired in 2005.
        The lake is about four kilometres long and two wide.
        The novel is set in a small port town.
        The ferry crossing takes about an hour.
        The report was submitted to the board in {month}.
        He put the kettle on and took two cups from the cupboard.
        The car park is on the left after the second roundabout.
        The tour lasts forty-five minutes and starts every hour.
        The bread should be left to cool before slicing.
        The island has a population of about 900.
        Enclosed is the completed application form.
        The church is open to visitors during daylight hours.
        The town hall is on the north side of the square.
    """),
}

#: Slot-filled templates that vary times, days and places across otherwise plain statements.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "chat": _lines("""
        see u at {time} at the station
        i'll be at {place} till {time}
        can we move it to {day}
        train to {place} leaves at {time}
        {name} is picking u up at {time}
        dinner's at {name}'s on {day}
        call u on {day}
    """),
    "news": _lines("""
        The {place} bypass will be resurfaced over {n} weekends starting in {month}.
        {company} will publish its half-year results on {weekday}.
        The {place} swimming pool will close for maintenance for {n} weeks from {month}.
        The bus route between {place} and {place2} will be renumbered from {month}.
        {team} will play their home games at a temporary ground next season.
        The {place} market will move to {day} for the month of {month}.
        Residents of {place} can register for the new parking permits from {weekday}.
    """),
    "forum": _lines("""
        Is the {place} library open on {day} afternoons?
        Does anyone know when the {place} tip is open on {day}?
        Moving to {place} in {month}. Which broadband providers cover the area?
        How long is the drive from {place} to {place2} on a weekday morning?
    """),
    "product-review": _lines("""
        Ordered on {weekday}, delivered on {day}.
        {brand} {model} {appliance}, bought in {month}.
        {brand} {model} {gadget}, black, 128 GB.
        We stayed at {hotel} for {n} nights in {month}.
        The {app} update arrived on {weekday} and is about 90 MB.
    """),
    "mixed-genre": _lines("""
        The ferry to {abroad} leaves from pier {n} at {time}.
        We arrived in {abroad} on a {weekday} in {month}.
        {name} caught the {time} bus to {place} and got off at the last stop.
        The museum in {abroad} is closed on {day}s.
    """),
}


def texts(rng: random.Random, taken: set[str]) -> tuple[list[tuple[str, str]], int]:
    """(domain, text) pairs, distinct and not in `taken`; also how many were skipped as taken."""
    out: list[tuple[str, str]] = []
    skipped = 0
    candidates = [(d, t) for d, pool in NEUTRAL.items() for t in pool]
    candidates += [(d, t) for d, pool in TEMPLATES.items() for t in pool for _ in range(3)]
    rng.shuffle(candidates)
    for domain, template in candidates:
        text = fill(template, rng)
        key = dedup_key(text)
        if key in taken:
            skipped += 1
            continue
        taken.add(key)
        out.append((domain, text))
    return out[:TARGET], skipped


def records(pairs: list[tuple[str, str]], rng: random.Random) -> list[dict[str, str]]:
    """Two AAID instruction records per text (E-c neutral, V-oc 0), each with a seeded wording."""
    recs = []
    for _, text in pairs:
        for family, dimension, label in LABELS:
            k = rng.randrange(len(WORDINGS[family]))
            recs.append(to_record(AAIDExample(family, dimension, text, label, wording(family, k))))
    return recs


def taken_keys() -> set[str]:
    keys = set(held_out_keys())
    with DISTIL_FILE.open(encoding="utf-8") as f:
        keys |= {dedup_key(json.loads(line)["text"]) for line in f if line.strip()}
    return keys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    rng = random.Random(SEED)
    pairs, skipped = texts(rng, taken_keys())
    n = write_jsonl(args.out, records(pairs, rng))
    print(f"texts per domain: {dict(Counter(d for d, _ in pairs))}")
    print(f"skipped {skipped} texts already in the distillation texts or the check set")
    print(f"wrote {n} records ({len(pairs)} texts x 2) to {args.out}")


if __name__ == "__main__":
    main()
