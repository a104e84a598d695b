#!/usr/bin/env python3
"""Writes the SCRIPTED training data of vigil's shipped grooming model
(data/groom-default.vgm) as JSON lines for `vigil text train`; usage:
groom_default.py [SEED] > FILE (seed 12 made the shipped model; another
seed gives other conversations from the same scripts, for eval). The model file is reproduced byte for byte with

    python3 data/groom_default.py > d.jsonl
    vigil text train --data d.jsonl --out data/groom-default.vgm \\
        --dim-bits 14 --epochs 10 --seed 1

(tests/text/test_default_model.sh checks that). Everything here is
invented and benign: the stage markers are the neutral phrases of vigil's
stage lexicon (asking age, location, whether someone is alone, secrecy,
moving to another app, gifts, asking for a picture, meeting) and a few
neutral variants, in English, German, Dutch and Arabic, mixed with
everyday chat lines. A model trained on it recognises these scripted
markers and nothing more; real accuracy needs a platform's own reviewed
conversations.

Conversations (per language): scripted "marker" conversations, where one
author touches five to seven distinct stages among ordinary lines (that
author's marker lines are labelled 1 and the author's conversation_label
is 1; the other side is 0); hard negatives, where a parent, teacher or
friend touches two or three stages (all 0); and everyday chat (all 0)."""
import json
import random
import sys

STAGES = ["age", "location", "alone", "secrecy", "platform", "gifts", "images", "meeting"]
MARKERS = {
    "en": {
        "age": ["how old are you", "what grade are you in", "so how old are you exactly"],
        "location": ["where do you live", "which school do you go to", "where do you live, which town"],
        "alone": ["are you alone", "are your parents home", "are you alone at home right now"],
        "secrecy": ["our secret", "don't tell your parents", "dont tell anyone",
                    "let's keep this between us"],
        "platform": ["add me on", "let's talk on another app", "private chat",
                     "let's move to a private chat"],
        "gifts": ["i can buy you", "free gift card", "i can buy you a gift card"],
        "images": ["send me a photo", "send me a pic", "turn on your camera"],
        "meeting": ["let's meet", "i can pick you up", "let's meet, just us"],
    },
    "de": {
        "age": ["wie alt bist du", "in welcher klasse bist du"],
        "location": ["wo wohnst du", "auf welche schule gehst du"],
        "alone": ["bist du allein", "sind deine eltern da"],
        "secrecy": ["unser geheimnis", "sag es niemandem", "das bleibt unser geheimnis"],
        "platform": ["schreib mir auf", "privater chat", "lass uns in einen privaten chat"],
        "gifts": ["ich kaufe dir", "ich schenke dir"],
        "images": ["schick mir ein foto", "mach die kamera an"],
        "meeting": ["wollen wir uns treffen", "ich hole dich ab"],
    },
    "nl": {
        "age": ["hoe oud ben je", "in welke klas zit je"],
        "location": ["waar woon je", "op welke school zit je"],
        "alone": ["ben je alleen", "zijn je ouders thuis"],
        "secrecy": ["ons geheimpje", "vertel het aan niemand", "dit blijft ons geheimpje"],
        "platform": ["voeg me toe op", "priv\u00e9 chat"],
        "gifts": ["ik koop voor je", "ik geef je een cadeau"],
        "images": ["stuur me een foto", "zet je camera aan"],
        "meeting": ["zullen we afspreken", "ik haal je op"],
    },
    "ar": {
        "age": ["\u0643\u0645 \u0639\u0645\u0631\u0643"],
        "location": ["\u0648\u064a\u0646 \u0633\u0627\u0643\u0646"],
        "alone": ["\u0627\u0646\u062a \u0644\u0648\u062d\u062f\u0643"],
        "secrecy": ["\u0633\u0631 \u0628\u064a\u0646\u0646\u0627"],
        "platform": ["\u0643\u0644\u0645\u0646\u064a \u0639\u0644\u0649"],
        "gifts": ["\u0631\u0627\u062d \u0627\u0634\u062a\u0631\u064a \u0644\u0643"],
        "images": ["\u0627\u0631\u0633\u0644\u064a \u0635\u0648\u0631\u0629"],
        "meeting": ["\u0646\u062a\u0642\u0627\u0628\u0644"],
    },
}
CHAT = {
    "en": ["hey", "nice game today", "gg", "want to play again", "school was boring",
           "did you do the homework", "dinner is ready", "that was so funny", "see you tomorrow",
           "i got a new bike", "the bus was late", "lol ok", "who won the match",
           "my team lost again", "can you send me the notes"],
    "de": ["hallo", "gutes spiel", "noch eine runde?", "die schule war langweilig",
           "hast du die hausaufgaben", "essen ist fertig", "bis morgen", "haha ok",
           "wir haben verloren", "das war lustig", "gute nacht", "der bus war zu sp\u00e4t"],
    "nl": ["hoi", "goed gespeeld", "nog een potje?", "school was saai", "heb je het huiswerk",
           "het eten is klaar", "tot morgen", "haha oke", "we hebben verloren",
           "dat was grappig", "welterusten", "de bus was te laat"],
    "ar": ["\u0645\u0631\u062d\u0628\u0627", "\u0644\u0639\u0628\u0629 \u062d\u0644\u0648\u0629",
           "\u0634\u0643\u0631\u0627", "\u0627\u0644\u0645\u062f\u0631\u0633\u0629",
           "\u0628\u0643\u0631\u0629", "\u064a\u0644\u0627",
           "\u0645\u0639 \u0627\u0644\u0633\u0644\u0627\u0645\u0629", "\u062a\u0645\u0627\u0645",
           "\u0647\u0647\u0647\u0647", "shlonak 3adi", "7abibi", "ok"],
}
# how a parent, a teacher or a friend puts a stage phrase: bare, or with
# its context around it (half of the time each)
TAILS = {"en": [" sweetie?", ", for the school form", " now? grandma asks", ", the dog i mean",
                ", mum wants to know", " with the whole class"],
         "de": [" jetzt? oma fragt", ", schatz", " mit der ganzen klasse", ", f\u00fcr das formular"],
         "nl": [" nu? oma vraagt het", ", lieverd", " met de hele klas", ", voor het formulier"],
         "ar": [" \u064a\u0627 \u062d\u0628\u064a\u0628\u064a", " \u0645\u0639 \u0627\u0644\u0639\u0627\u0626\u0644\u0629"]}


def emit(rnd, conv, author, text, label, clabel):
    rec = {"conversation": conv, "author": author, "text": text, "label": label,
           "conversation_label": clabel}
    print(json.dumps(rec, sort_keys=True))


def marker_conv(rnd, lang, cid):
    stages = rnd.sample(STAGES, rnd.randint(5, 7))
    lines = [(rnd.choice(CHAT[lang]), 0) for _ in range(rnd.randint(1, 3))]
    for s in stages:
        lines.append((rnd.choice(MARKERS[lang][s]) + rnd.choice(["", "?", " ok", "!"]), 1))
        lines += [(rnd.choice(CHAT[lang]), 0) for _ in range(rnd.randint(0, 2))]
    for text, lab in lines:
        emit(rnd, cid, "g", text, lab, 1)
        emit(rnd, cid, "c", rnd.choice(CHAT[lang]), 0, 0)


def hard_negative(rnd, lang, cid):
    stages = rnd.sample(STAGES, rnd.choice([2, 3, 3, 3]))
    lines = [rnd.choice(CHAT[lang]) for _ in range(rnd.randint(1, 4))]
    for s in stages:
        tail = rnd.choice(TAILS[lang]) if rnd.random() < 0.5 else ""
        lines.insert(rnd.randint(0, len(lines)), rnd.choice(MARKERS[lang][s]) + tail)
    lines += [rnd.choice(CHAT[lang]) for _ in range(rnd.randint(0, 6))]
    for text in lines:
        emit(rnd, cid, "p", text, 0, 0)
        emit(rnd, cid, "k", rnd.choice(CHAT[lang]), 0, 0)


def everyday(rnd, lang, cid):
    for _ in range(rnd.randint(3, 30)):
        emit(rnd, cid, "x", rnd.choice(CHAT[lang]), 0, 0)
        emit(rnd, cid, "y", rnd.choice(CHAT[lang]), 0, 0)


def main():
    rnd = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
    plan = []
    for lang in ("en", "de", "nl", "ar"):
        plan += [(marker_conv, lang)] * 40 + [(hard_negative, lang)] * 240
        plan += [(everyday, lang)] * 120
    rnd.shuffle(plan)
    for i, (make, lang) in enumerate(plan):
        make(rnd, lang, "%s-%d" % (lang, i))


main()
