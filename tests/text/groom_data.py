#!/usr/bin/env python3
"""Writes an INVENTED, benign toy data set for `vigil text train|eval`:
JSON lines {"conversation","author","text","label"} (label 1: a message
that is a grooming-pattern stand-in, 0: not). Nothing here is real or
explicit: the stand-ins are neutral phrasings of the warning signs public
safety guidance lists (secrecy, isolation, moving apps, gifts, meeting,
asking for pictures). Usage: groom_data.py train|eval SEED > FILE.
Some fragments of each kind appear only in the eval split, so eval
measures a little generalisation beyond memorised lines (it is still a
toy: a real platform trains and measures on its own reviewed data)."""
import json
import random
import sys

# (fragments for train, fragments held out for eval)
GROOM = {
    "trust": (["you can trust me", "i understand you better than anyone",
               "you are so mature for your age", "your parents just don't get you"],
              ["i'm the only one who really listens to you"]),
    "secrecy": (["don't tell your parents about us", "keep this between us",
                 "delete our messages after", "nobody needs to know we talk"],
                ["this stays our little secret"]),
    "alone": (["are you home alone tonight", "is anyone else in the room",
               "when do your parents go out"],
              ["will you be by yourself later"]),
    "platform": (["let's move to another app", "add me on a different chat",
                  "message me somewhere private"],
                 ["talk to me on a private account instead"]),
    "meeting": (["want to meet up alone", "i can come pick you up",
                 "let's meet where nobody knows us"],
                ["come see me without telling anyone"]),
    "gifts": (["i'll buy you that game if you keep quiet", "i can send you gift cards"],
              ["i'll top up your phone if you stay quiet"]),
    "images": (["send me a picture of yourself", "turn your camera on for me"],
               ["show me what you look like right now"]),
}
BENIGN = (["did you finish the maths homework", "see you at practice tomorrow",
           "my mum says dinner is ready", "the bus was late again",
           "can you send me the notes from class", "happy birthday!!",
           "let's meet at the library with everyone",
           "don't tell anyone about the surprise party", "my dog is three years old",
           "what time does the match start", "i bought a new game yesterday",
           "turn on the tv, the show started", "are you coming to the school trip",
           "we can talk on the group chat", "send me a picture of the homework page",
           "keep the receipt for the gift", "the teacher said we meet in room 4",
           "my parents are picking us up at six", "lol that video was so funny",
           "who is bringing the ball"],
          ["can you check the timetable for friday", "my brother broke the printer",
           "we meet at the park with the whole class", "send me the photo from the trip",
           "don't forget your football boots"])
FILLER = ["", "", "hey ", "ok so ", "lol ", "btw "]


def line(rnd, frags):
    msg = rnd.choice(FILLER) + rnd.choice(frags)
    return msg + rnd.choice(["", "?", "!", " :)", "."])


def main():
    split, seed = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(seed)
    k = 0 if split == "train" else 1
    groom = [f for kind in GROOM.values() for f in (kind[0] if k == 0 else kind[0] + kind[1])]
    held = [f for kind in GROOM.values() for f in kind[1]]
    benign = BENIGN[0] if k == 0 else BENIGN[0] + BENIGN[1]
    npos, nneg = (100, 200) if k == 0 else (50, 150)
    convs = [(1, i) for i in range(npos)] + [(0, i) for i in range(nneg)]
    rnd.shuffle(convs)
    for pos, i in convs:
        cid = "%s-%s-%d" % (split, "p" if pos else "n", i)
        for m in range(8):
            # a positive author opens with small talk, then stand-in lines
            # grow more frequent; eval prefers the held-out fragments
            if pos and m >= 2 and rnd.random() < 0.35 + 0.1 * m:
                src = held if k == 1 and rnd.random() < 0.5 else groom
                rec = {"text": line(rnd, src), "label": 1}
            else:
                rec = {"text": line(rnd, benign), "label": 0}
            rec.update(conversation=cid, author="a")
            print(json.dumps(rec))
            # the other side of the conversation: always benign
            print(json.dumps({"conversation": cid, "author": "b",
                              "text": line(rnd, benign), "label": 0}))


main()
