DROP TABLE platform.dead_letters;
