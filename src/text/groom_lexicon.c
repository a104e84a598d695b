/* groom_lexicon.c — the hand-written stage lexicon of the grooming risk
 * scorer: short, neutral phrases of the behaviours public safety guidance
 * lists as warning signs (asking age, location, whether a child is alone,
 * secrecy, moving to another app, gifts, asking for pictures, meeting), in
 * English, German, Dutch and Arabic. Phrases only, no abusive text. They are
 * matched as token terms through the keyword engine, so every fold applies. */
#include "text_int.h"
#include "groom_int.h"

const vigil__lex_entry vigil__groom_lexicon[] = {
	/* age */
	{"how old are you", VIGIL_STAGE_AGE}, {"what grade are you in", VIGIL_STAGE_AGE},
	{"wie alt bist du", VIGIL_STAGE_AGE}, {"in welcher klasse bist du", VIGIL_STAGE_AGE},
	{"hoe oud ben je", VIGIL_STAGE_AGE}, {"in welke klas zit je", VIGIL_STAGE_AGE},
	{"\xD9\x83\xD9\x85 \xD8\xB9\xD9\x85\xD8\xB1\xD9\x83", VIGIL_STAGE_AGE}, /* kam umrak */
	/* location */
	{"where do you live", VIGIL_STAGE_LOCATION}, {"which school do you go to", VIGIL_STAGE_LOCATION},
	{"wo wohnst du", VIGIL_STAGE_LOCATION}, {"auf welche schule gehst du", VIGIL_STAGE_LOCATION},
	{"waar woon je", VIGIL_STAGE_LOCATION}, {"op welke school zit je", VIGIL_STAGE_LOCATION},
	{"\xD9\x88\xD9\x8A\xD9\x86 \xD8\xB3\xD8\xA7\xD9\x83\xD9\x86", VIGIL_STAGE_LOCATION}, /* wein saken */
	/* alone */
	{"are you alone", VIGIL_STAGE_ALONE}, {"are your parents home", VIGIL_STAGE_ALONE},
	{"bist du allein", VIGIL_STAGE_ALONE}, {"sind deine eltern da", VIGIL_STAGE_ALONE},
	{"ben je alleen", VIGIL_STAGE_ALONE}, {"zijn je ouders thuis", VIGIL_STAGE_ALONE},
	{"\xD8\xA7\xD9\x86\xD8\xAA \xD9\x84\xD9\x88\xD8\xAD\xD8\xAF\xD9\x83", VIGIL_STAGE_ALONE}, /* anta lewahdak */
	/* secrecy */
	{"our secret", VIGIL_STAGE_SECRECY}, {"don't tell your parents", VIGIL_STAGE_SECRECY},
	{"dont tell anyone", VIGIL_STAGE_SECRECY},
	{"unser geheimnis", VIGIL_STAGE_SECRECY}, {"sag es niemandem", VIGIL_STAGE_SECRECY},
	{"ons geheimpje", VIGIL_STAGE_SECRECY}, {"vertel het aan niemand", VIGIL_STAGE_SECRECY},
	{"\xD8\xB3\xD8\xB1 \xD8\xA8\xD9\x8A\xD9\x86\xD9\x86\xD8\xA7", VIGIL_STAGE_SECRECY}, /* sir bainana */
	/* another platform */
	{"add me on", VIGIL_STAGE_PLATFORM}, {"let's talk on another app", VIGIL_STAGE_PLATFORM},
	{"private chat", VIGIL_STAGE_PLATFORM},
	{"schreib mir auf", VIGIL_STAGE_PLATFORM}, {"privater chat", VIGIL_STAGE_PLATFORM},
	{"voeg me toe op", VIGIL_STAGE_PLATFORM}, {"priv\xC3\xA9 chat", VIGIL_STAGE_PLATFORM},
	{"\xD9\x83\xD9\x84\xD9\x85\xD9\x86\xD9\x8A \xD8\xB9\xD9\x84\xD9\x89", VIGIL_STAGE_PLATFORM}, /* kallimni ala */
	/* gifts */
	{"i can buy you", VIGIL_STAGE_GIFTS}, {"free gift card", VIGIL_STAGE_GIFTS},
	{"ich kaufe dir", VIGIL_STAGE_GIFTS}, {"ich schenke dir", VIGIL_STAGE_GIFTS},
	{"ik koop voor je", VIGIL_STAGE_GIFTS}, {"ik geef je een cadeau", VIGIL_STAGE_GIFTS},
	{"\xD8\xB1\xD8\xA7\xD8\xAD \xD8\xA7\xD8\xB4\xD8\xAA\xD8\xB1\xD9\x8A \xD9\x84\xD9\x83", VIGIL_STAGE_GIFTS}, /* rah ashtari lak */
	/* images */
	{"send me a photo", VIGIL_STAGE_IMAGES}, {"send me a pic", VIGIL_STAGE_IMAGES},
	{"turn on your camera", VIGIL_STAGE_IMAGES},
	{"schick mir ein foto", VIGIL_STAGE_IMAGES}, {"mach die kamera an", VIGIL_STAGE_IMAGES},
	{"stuur me een foto", VIGIL_STAGE_IMAGES}, {"zet je camera aan", VIGIL_STAGE_IMAGES},
	{"\xD8\xA7\xD8\xB1\xD8\xB3\xD9\x84\xD9\x8A \xD8\xB5\xD9\x88\xD8\xB1\xD8\xA9", VIGIL_STAGE_IMAGES}, /* arsili sura */
	/* meeting */
	{"let's meet", VIGIL_STAGE_MEETING}, {"i can pick you up", VIGIL_STAGE_MEETING},
	{"wollen wir uns treffen", VIGIL_STAGE_MEETING}, {"ich hole dich ab", VIGIL_STAGE_MEETING},
	{"zullen we afspreken", VIGIL_STAGE_MEETING}, {"ik haal je op", VIGIL_STAGE_MEETING},
	{"\xD9\x86\xD8\xAA\xD9\x82\xD8\xA7\xD8\xA8\xD9\x84", VIGIL_STAGE_MEETING}, /* nitqabal */
	{NULL, 0},
};
