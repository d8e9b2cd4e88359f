//! The initial schema: registers and authorities, rounds and requests, messages (outbound and
//! inbound) with attachments, the append-only events log, codings, job runs, mailbox sync
//! state, and dashboard users and sessions.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Registers {
    Table,
    Name,
    Title,
    SourceFile,
    LoadedAt,
}

#[derive(DeriveIden)]
enum Authorities {
    Table,
    Id,
    Register,
    Code,
    Name,
    Region,
    RegionCode,
    GssCode,
    Status,
    ValidFrom,
    Successors,
    Predecessors,
    FoiEmail,
    EmailVerified,
    EmailSource,
}

#[derive(DeriveIden)]
enum AuthorityAddresses {
    Table,
    Id,
    AuthorityId,
    Address,
    Source,
    LearnedAt,
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
    Slug,
    Title,
    Register,
    Kind,
    Definition,
    CreatedAt,
    LaunchedAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    RoundId,
    AuthorityId,
    Reference,
    State,
    ToAddress,
    SentAt,
    ReceivedOn,
    DueOn,
    ReviewDueOn,
    SourceUrl,
    SourceTitle,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    RequestId,
    Direction,
    Kind,
    ChaseStep,
    MessageId,
    InReplyTo,
    ReferencesHdr,
    Subject,
    FromAddr,
    ToAddr,
    State,
    Attempts,
    NextAttemptAt,
    LastError,
    RawSha256,
    RawSize,
    MatchRule,
    SuggestedClass,
    BodyText,
    ParseError,
    ClaimedBy,
    ClaimedAt,
    CreatedAt,
    SentAt,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    MessageId,
    Filename,
    ContentType,
    Size,
    Sha256,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    RequestId,
    At,
    Actor,
    Kind,
    FromState,
    ToState,
    EffectiveOn,
    Note,
    Data,
}

#[derive(DeriveIden)]
enum Codings {
    Table,
    Id,
    RequestId,
    Variable,
    Value,
    Pass,
    Coder,
    CodedAt,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Job,
    DueAt,
    StartedAt,
    FinishedAt,
    Outcome,
    Detail,
}

#[derive(DeriveIden)]
enum MailboxState {
    Table,
    Id,
    Account,
    Folder,
    Uidvalidity,
    LastUid,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    Role,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
}

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Registers::Table)
                .if_not_exists()
                .col(string(Registers::Name).primary_key())
                .col(string(Registers::Title))
                .col(string(Registers::SourceFile))
                .col(timestamp_with_time_zone(Registers::LoadedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Authorities::Table)
                .if_not_exists()
                .col(pk_auto(Authorities::Id))
                .col(string(Authorities::Register))
                .col(string(Authorities::Code))
                .col(string(Authorities::Name))
                .col(string_null(Authorities::Region))
                .col(string_null(Authorities::RegionCode))
                .col(string_null(Authorities::GssCode))
                .col(string_null(Authorities::Status))
                .col(string_null(Authorities::ValidFrom))
                .col(string(Authorities::Successors).default(""))
                .col(string(Authorities::Predecessors).default(""))
                .col(string_null(Authorities::FoiEmail))
                .col(boolean(Authorities::EmailVerified).default(false))
                .col(string_null(Authorities::EmailSource))
                .foreign_key(&mut fk(
                    (Authorities::Table, Authorities::Register),
                    (Registers::Table, Registers::Name),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_authorities_register_code")
                .table(Authorities::Table)
                .col(Authorities::Register)
                .col(Authorities::Code)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuthorityAddresses::Table)
                .if_not_exists()
                .col(pk_auto(AuthorityAddresses::Id))
                .col(integer(AuthorityAddresses::AuthorityId))
                .col(string(AuthorityAddresses::Address))
                .col(string(AuthorityAddresses::Source))
                .col(timestamp_with_time_zone(AuthorityAddresses::LearnedAt))
                .foreign_key(&mut fk(
                    (AuthorityAddresses::Table, AuthorityAddresses::AuthorityId),
                    (Authorities::Table, Authorities::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_authority_addresses")
                .table(AuthorityAddresses::Table)
                .col(AuthorityAddresses::AuthorityId)
                .col(AuthorityAddresses::Address)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Rounds::Table)
                .if_not_exists()
                .col(pk_auto(Rounds::Id))
                .col(string_uniq(Rounds::Slug))
                .col(string(Rounds::Title))
                .col(string(Rounds::Register))
                .col(string(Rounds::Kind))
                .col(text(Rounds::Definition))
                .col(timestamp_with_time_zone(Rounds::CreatedAt))
                .col(timestamp_with_time_zone_null(Rounds::LaunchedAt))
                .foreign_key(&mut fk(
                    (Rounds::Table, Rounds::Register),
                    (Registers::Table, Registers::Name),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Requests::Table)
                .if_not_exists()
                .col(pk_auto(Requests::Id))
                .col(integer(Requests::RoundId))
                .col(integer(Requests::AuthorityId))
                .col(string_uniq(Requests::Reference))
                .col(string(Requests::State))
                .col(string_null(Requests::ToAddress))
                .col(timestamp_with_time_zone_null(Requests::SentAt))
                .col(date_null(Requests::ReceivedOn))
                .col(date_null(Requests::DueOn))
                .col(date_null(Requests::ReviewDueOn))
                .col(text_null(Requests::SourceUrl))
                .col(text_null(Requests::SourceTitle))
                .col(timestamp_with_time_zone(Requests::CreatedAt))
                .col(timestamp_with_time_zone(Requests::UpdatedAt))
                .foreign_key(&mut fk(
                    (Requests::Table, Requests::RoundId),
                    (Rounds::Table, Rounds::Id),
                ))
                .foreign_key(&mut fk(
                    (Requests::Table, Requests::AuthorityId),
                    (Authorities::Table, Authorities::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_requests_round_authority")
                .table(Requests::Table)
                .col(Requests::RoundId)
                .col(Requests::AuthorityId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Messages::Table)
                .if_not_exists()
                .col(pk_auto(Messages::Id))
                .col(integer_null(Messages::RequestId))
                .col(string(Messages::Direction))
                .col(string(Messages::Kind))
                .col(integer_null(Messages::ChaseStep))
                .col(string_null(Messages::MessageId))
                .col(string_null(Messages::InReplyTo))
                .col(text_null(Messages::ReferencesHdr))
                .col(text(Messages::Subject))
                .col(text(Messages::FromAddr))
                .col(text(Messages::ToAddr))
                .col(string(Messages::State))
                .col(integer(Messages::Attempts).default(0))
                .col(timestamp_with_time_zone_null(Messages::NextAttemptAt))
                .col(text_null(Messages::LastError))
                .col(string_null(Messages::RawSha256))
                .col(big_integer_null(Messages::RawSize))
                .col(string_null(Messages::MatchRule))
                .col(string_null(Messages::SuggestedClass))
                .col(text_null(Messages::BodyText))
                .col(text_null(Messages::ParseError))
                .col(string_null(Messages::ClaimedBy))
                .col(timestamp_with_time_zone_null(Messages::ClaimedAt))
                .col(timestamp_with_time_zone(Messages::CreatedAt))
                .col(timestamp_with_time_zone_null(Messages::SentAt))
                .col(timestamp_with_time_zone_null(Messages::ReceivedAt))
                .foreign_key(&mut fk(
                    (Messages::Table, Messages::RequestId),
                    (Requests::Table, Requests::Id),
                ))
                .to_owned(),
        )
        .await?;
        // Our own Message-IDs are deterministic per request and kind, so this index is what makes
        // enqueueing idempotent; for inbound mail it records one copy of each message.
        m.create_index(
            Index::create()
                .name("ux_messages_direction_message_id")
                .table(Messages::Table)
                .col(Messages::Direction)
                .col(Messages::MessageId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_messages_state")
                .table(Messages::Table)
                .col(Messages::Direction)
                .col(Messages::State)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_messages_request")
                .table(Messages::Table)
                .col(Messages::RequestId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_messages_raw")
                .table(Messages::Table)
                .col(Messages::RawSha256)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Attachments::Table)
                .if_not_exists()
                .col(pk_auto(Attachments::Id))
                .col(integer(Attachments::MessageId))
                .col(string(Attachments::Filename))
                .col(string(Attachments::ContentType))
                .col(big_integer(Attachments::Size))
                .col(string(Attachments::Sha256))
                .foreign_key(&mut fk(
                    (Attachments::Table, Attachments::MessageId),
                    (Messages::Table, Messages::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .if_not_exists()
                .col(pk_auto(Events::Id))
                .col(integer(Events::RequestId))
                .col(timestamp_with_time_zone(Events::At))
                .col(string(Events::Actor))
                .col(string(Events::Kind))
                .col(string_null(Events::FromState))
                .col(string_null(Events::ToState))
                .col(date_null(Events::EffectiveOn))
                .col(text_null(Events::Note))
                .col(text_null(Events::Data))
                .foreign_key(&mut fk(
                    (Events::Table, Events::RequestId),
                    (Requests::Table, Requests::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_events_request")
                .table(Events::Table)
                .col(Events::RequestId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Codings::Table)
                .if_not_exists()
                .col(pk_auto(Codings::Id))
                .col(integer(Codings::RequestId))
                .col(string(Codings::Variable))
                .col(string(Codings::Value))
                .col(integer(Codings::Pass).default(1))
                .col(string(Codings::Coder))
                .col(timestamp_with_time_zone(Codings::CodedAt))
                .foreign_key(&mut fk(
                    (Codings::Table, Codings::RequestId),
                    (Requests::Table, Requests::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_codings")
                .table(Codings::Table)
                .col(Codings::RequestId)
                .col(Codings::Pass)
                .col(Codings::Variable)
                .col(Codings::Value)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobRuns::Table)
                .if_not_exists()
                .col(pk_auto(JobRuns::Id))
                .col(string(JobRuns::Job))
                .col(timestamp_with_time_zone(JobRuns::DueAt))
                .col(timestamp_with_time_zone(JobRuns::StartedAt))
                .col(timestamp_with_time_zone_null(JobRuns::FinishedAt))
                .col(string(JobRuns::Outcome))
                .col(text_null(JobRuns::Detail))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_job_runs_job")
                .table(JobRuns::Table)
                .col(JobRuns::Job)
                .col(JobRuns::DueAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MailboxState::Table)
                .if_not_exists()
                .col(pk_auto(MailboxState::Id))
                .col(string(MailboxState::Account))
                .col(string(MailboxState::Folder))
                .col(big_integer(MailboxState::Uidvalidity))
                .col(big_integer(MailboxState::LastUid))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_mailbox_state")
                .table(MailboxState::Table)
                .col(MailboxState::Account)
                .col(MailboxState::Folder)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .if_not_exists()
                .col(pk_auto(Users::Id))
                .col(string_uniq(Users::Name))
                .col(string(Users::Role))
                .col(string(Users::PasswordHash))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .if_not_exists()
                .col(string(Sessions::Id).primary_key())
                .col(integer(Sessions::UserId))
                .col(string(Sessions::CsrfToken))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .foreign_key(&mut fk(
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
            MailboxState::Table.into_iden(),
            JobRuns::Table.into_iden(),
            Codings::Table.into_iden(),
            Events::Table.into_iden(),
            Attachments::Table.into_iden(),
            Messages::Table.into_iden(),
            Requests::Table.into_iden(),
            Rounds::Table.into_iden(),
            AuthorityAddresses::Table.into_iden(),
            Authorities::Table.into_iden(),
            Registers::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
